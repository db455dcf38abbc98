import ArgumentParser
import Foundation
import Strata

/// `strata split`: deterministic, stratified train/val/test sub-datasets.
struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract:
            "Split a dataset into train/val/test sub-datasets OUT/train, OUT/val, OUT/test (deterministic for a seed, optionally stratified).",
        discussion: """
            Fractions may total less than 1 (the rest is left out); a part with fraction 0 is not written.
            --stratify label divides every class in the requested proportions (to within one record);
            --stratify meta:KEY does the same for a record metadata field.
            A dataset directory's shards must match their manifest entries, whole-file CRC32C included
            (spec/FORMAT.md §11), before anything is written.
            """)

    @Argument(help: "Input dataset directory or shard file.") var input: String
    @Option(name: .long, help: "Output directory (must be new or empty); parts are written to OUT/<name>.") var out: String
    @Option(name: .long, help: "Fraction of records for train.") var train: Double = 0.8
    @Option(name: .long, help: "Fraction of records for val.") var val: Double = 0.1
    @Option(name: .long, help: "Fraction of records for test.") var test: Double = 0.1
    @Option(name: .long, help: ArgumentHelp("none, label, or meta:KEY.", valueName: "none|label|meta:KEY")) var stratify:
        DatasetSplit.Stratify = .none
    @Option(name: .long, help: "Seed of the assignment.") var seed: UInt64 = 0
    @Option(name: .long, help: "Records per output shard (default: shards of about 256 MB).") var recordsPerShard: Int?

    func validate() throws {
        do {
            try DatasetSplit.validate(parts)
        } catch {
            throw ValidationError(SettingFlags.message(for: error) ?? "\(error)")
        }
    }

    var parts: [DatasetSplit.Part] {
        [.init(name: "train", fraction: train), .init(name: "val", fraction: val), .init(name: "test", fraction: test)]
    }

    func run() throws {
        let result = try DatasetSplit.split(
            input: input, output: out, parts: parts, stratify: stratify,
            seed: seed, recordsPerShard: recordsPerShard)
        for part in result.parts { print("\(part.name)\t\(part.records)\t\(part.directory)") }
        if result.leftOut > 0 { print("left out\t\(result.leftOut)") }
    }
}
