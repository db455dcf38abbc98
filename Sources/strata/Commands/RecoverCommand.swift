import ArgumentParser
import Foundation
import Strata

/// `strata recover PATH [--dry-run]`: restore every completed record of an unsealed shard and seal it.
struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Restore every completed record of an unsealed, truncated or broken-seal shard and seal it (in place).",
        discussion:
            "Scans the shard from its start, keeps every record whose commit entry and blocks are intact, truncates after the last one and appends a fresh index and trailer. Running it again is harmless. Refused while another process writes the shard or the dataset directory it is in."
    )

    @Argument(help: "The shard file to recover.")
    var path: String

    @Flag(name: .long, help: "Report what would be done without changing the file.")
    var dryRun = false

    func run() throws {
        let locks = dryRun ? [] : try Self.locks(for: path)
        defer { locks.forEach { $0.release() } }
        let r = try ShardRecovery.recover(path: path, dryRun: dryRun)
        if r.alreadySealed {
            print("\(path): already sealed with \(r.recordsKept) records; nothing to do")
            return
        }
        let verb = dryRun ? "would recover" : "recovered"
        print(
            "\(path): \(verb) \(r.recordsKept) records, \(r.bytesDropped) bytes dropped\(r.stopReason.map { " (scan stopped: \($0))" } ?? "")\(dryRun ? "" : "; sealed")"
        )
    }

    /// The shard's own lock, and its directory's when that directory has a lock file (a dataset writer
    /// such as `capture` or `merge` may be using the shard; if it is, recovery is refused, naming it).
    static func locks(for shard: String) throws -> [OutputLock] {
        let own = try OutputLock(file: shard)
        let directory = PathSyntax.parent(of: shard)
        let directoryLock = OutputLock.lockPath(forDirectory: directory.isEmpty ? "." : directory)
        guard FileManager.default.fileExists(atPath: directoryLock) else { return [own] }
        return [own, try OutputLock(directory: directory.isEmpty ? "." : directory)]
    }
}
