import ArgumentParser
import Strata

/// `strata recover PATH [--dry-run]`: restore every completed record of an unsealed shard and seal it.
struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Restore every completed record of an unsealed, truncated or broken-seal shard and seal it (in place).",
        discussion: "Scans the shard from its start, keeps every record whose commit entry and blocks are intact, truncates after the last one and appends a fresh index and trailer. Running it again is harmless.")

    @Argument(help: "The shard file to recover.")
    var path: String

    @Flag(name: .long, help: "Report what would be done without changing the file.")
    var dryRun = false

    func run() throws {
        let r = try ShardRecovery.recover(path: path, dryRun: dryRun)
        if r.alreadySealed {
            print("\(path): already sealed with \(r.recordsKept) records; nothing to do")
            return
        }
        let verb = dryRun ? "would recover" : "recovered"
        print("\(path): \(verb) \(r.recordsKept) records, \(r.bytesDropped) bytes dropped\(r.stopReason.map { " (scan stopped: \($0))" } ?? "")\(dryRun ? "" : "; sealed")")
    }
}
