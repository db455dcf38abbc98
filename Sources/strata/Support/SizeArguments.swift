import ArgumentParser
import StrataProbe
import StrataUtilities

// Sizes on the command line follow one rule (`ByteSize`): KB/MB/GB are powers of 1000, KiB/MiB/GiB and the
// bare K/M/G powers of 1024. Every `--help` line of a size flag ends with `sizeRule`.

extension ByteSize: ExpressibleByArgument {
    package init?(argument: String) { try? self.init(parsing: argument) }
}

/// The sentence every size flag's help ends with.
let sizeRule = "Sizes: \(ByteSize.rule)."

/// `--memory-budget`, shared by the commands that read hidden states in bounded batches
/// (train, eval, features, layers).
struct MemoryBudgetOptions: ParsableArguments {
    @Option(
        name: .customLong("memory-budget"),
        help: ArgumentHelp(
            "Bound on the memory batches, caches and (when training) the probe's state take, e.g. 512MiB or 2GiB "
                + "(spec/PROBES.md §3). \(sizeRule)",
            valueName: "size"))
    var memoryBudget = ByteSize(bytes: 2 << 30)

    /// The budget, refused below `MemoryBudget.minimumBytes` with an error naming the flag.
    func budget() throws -> MemoryBudget { try MemoryBudget(checking: memoryBudget.bytes) }
}
