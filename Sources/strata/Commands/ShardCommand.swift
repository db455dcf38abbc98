import ArgumentParser
import Foundation
import Strata
import StrataUtilities

/// `strata shard`: rewrite a dataset into shards of a chosen size.
struct ShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard",
        abstract: "Re-shard a dataset into shards of N records or of a target byte size (record order kept, values bit-exact).",
        discussion:
            "A dataset directory's shards must match their manifest entries, whole-file CRC32C included (spec/FORMAT.md §11), before anything is written."
    )

    @Argument(help: "Input dataset directory or shard file.") var input: String
    @Option(name: .long, help: "Output dataset directory (must be new or empty).") var out: String
    @Option(name: .long, help: "Records per output shard.") var recordsPerShard: Int?
    @Option(
        name: .long,
        help: ArgumentHelp("Target shard size, e.g. 256MB or 1GiB (a shard is closed once it reaches it). \(sizeRule)", valueName: "size"))
    var shardSize: ByteSize?

    func validate() throws {
        guard (recordsPerShard == nil) != (shardSize == nil) else {
            throw ValidationError("give exactly one of --records-per-shard and --shard-size")
        }
        if let recordsPerShard, recordsPerShard < 1 { throw ValidationError("--records-per-shard must be at least 1") }
        if let shardSize, shardSize.bytes < 1 {
            throw ValidationError("--shard-size must be a positive size like 256MB or 1GiB (got '\(shardSize)')")
        }
    }

    func run() throws {
        let manifest = try DatasetReshard.reshard(
            input: input, output: out, recordsPerShard: recordsPerShard,
            shardBytes: shardSize?.bytes)
        print("wrote \(manifest.records) records in \(manifest.shards.count) shards to \(out)")
    }
}
