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
        Inputs must agree on hidden size, layers, dtype, model, tokenizer, label names and auxiliary vectors;
        a mismatch is refused naming the field. Record ids must be unique across shards.
        Shards taken from a dataset directory must match their manifest entries, whole-file CRC32C
        included (spec/FORMAT.md §11), before any is placed.
        """)

    @Argument(help: "Shard files or dataset directories to merge.") var inputs: [String]
    @Option(name: .long, help: "Output dataset directory (new, or an existing dataset with --append).") var out: String
    @Option(name: .long, help: "How to bring shards into --out: link, copy or move.") var mode: String = "link"
    @Flag(name: .long, help: "Add the inputs to the dataset already in --out.") var append = false
    @Flag(name: .long, help: "Skip the duplicate record id check (it reads every record header).") var allowDuplicateIds = false

    func validate() throws {
        guard ShardPlacementMode(rawValue: mode) != nil else { throw ValidationError("--mode must be link, copy or move (got '\(mode)')") }
    }

    func run() throws {
        let result = try DatasetMerge.merge(inputs: inputs, into: out, mode: ShardPlacementMode(rawValue: mode) ?? .link,
                                            append: append, checkDuplicateIDs: !allowDuplicateIds)
        for shard in result.placed {
            print("\(shard.action.rawValue)\t\(shard.records)\t\(shard.path)")
        }
        print("merged \(result.placed.count) shard(s) into \(out): \(result.manifest.shards.count) shards, \(result.manifest.records) records")
    }
}
