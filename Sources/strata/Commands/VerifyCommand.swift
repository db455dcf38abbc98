import ArgumentParser
import Strata

/// `strata verify PATH`: full integrity check; non-zero exit naming the first problem.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a shard or dataset fully: every checksum, every block decoded, index and manifest consistency.",
        discussion:
            "For a dataset directory this includes each shard's whole-file CRC32C against the manifest (spec/FORMAT.md §11). Exits 0 and prints totals when everything checks out; otherwise exits 1 naming the first problem (shard, record, block, offset)."
    )

    @Argument(help: "A shard file or a dataset directory (with manifest.json).")
    var path: String

    func run() throws {
        let r = try StrataVerifier.verify(path: path)
        print(
            "OK \(path): \(r.shards) shard(s), \(r.records) records, \(r.blocks) blocks, \(r.tokens) tokens, \(r.rawBytes) raw bytes in \(r.storedBytes) stored (\(r.fileBytes) file bytes)"
        )
    }
}
