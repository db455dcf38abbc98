import ArgumentParser
import StrataProbe

/// `--data`, shared by the commands that read a hidden-state dataset (train, eval, features, layers).
struct DataOption: ParsableArguments {
    @Option(help: "Dataset: a directory with manifest.json, or a shard file.") var data: String
}

/// `--threads` of the commands that run probe workers (train, features).
struct WorkerThreadsOption: ParsableArguments {
    @Option(help: "Worker threads (default: one per core).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--layer-pool` of `strata features`: a pooling mode, or `none` to keep one row per layer.
enum LayerPoolChoice: String, CaseIterable, ExpressibleByArgument {
    case mean, max, none

    /// The pooling mode, nil for `none`.
    var mode: PoolMode? { PoolMode(rawValue: rawValue) }
}
