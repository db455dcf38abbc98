import ArgumentParser
import Foundation
import Strata

/// `strata merge`: gather shards from independent capture workers into one dataset.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Gather shards (e.g. from `strata capture --shard i/n` workers) into one dataset directory with a manifest.",
        discussion: """
            Each INPUT is a shard file, a dataset directory (its manifest's shards), or a directory of .strata files.
            Shard data is never re-encoded: shards already inside --out are referenced in place; others are
            hard-linked (--mode link, the default; a byte copy across file systems), copied, or moved.
            Inputs must agree on hidden size, layers, dtype, model, tokenizer, label names, auxiliary vectors and (for q8) the error bound;
            a mismatch is refused naming the field. The same shard file twice (by any name or link) and a record id in
            two shards are refused, naming both (a dataset reader refuses them too). Shards taken from a dataset
            directory must match their manifest entries, whole-file CRC32C included (spec/FORMAT.md §11), before
            any is placed.
            """)

    @Argument(help: "Shard files or dataset directories to merge.") var inputs: [String]
    @Option(name: .long, help: "Output dataset directory (new, or an existing dataset with --append).") var out: String
    @Option(name: .long, help: "How to bring shards into --out.") var mode: ShardPlacementMode = .link
    @Flag(name: .long, help: "Add the inputs to the dataset already in --out.") var append = false

    func run() throws {
        let result = try DatasetMerge.merge(inputs: inputs, into: out, mode: mode, append: append)
        for shard in result.placed {
            print("\(shard.action.rawValue)\t\(shard.records)\t\(shard.path)")
        }
        print(
            "merged \(result.placed.count) shard(s) into \(out): \(result.manifest.shards.count) shards, \(result.manifest.records) records"
        )
    }
}
