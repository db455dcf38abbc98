import StrataUtilities
import Testing

@testable import Strata

/// Dataset operations name a refused setting in the library's words, never as a command-line flag (the CLI
/// maps them to flags: `SettingFlags`).
@Suite struct DatasetSettingNamesTests {
    private func refusal(_ body: () throws -> Void) -> InvalidSetting? {
        do {
            try body()
        } catch let error as DatasetOpsError {
            return error.invalidSetting
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func splitAndConvertNameTheSettingInWords() throws {
        let stratify = try #require(refusal { _ = try DatasetSplit.Stratify(parsing: "labels") })
        #expect(stratify.description == "invalid value 'labels' for stratification: must be none, label or meta:KEY")
        let fraction = try #require(refusal { try DatasetSplit.validate([.init(name: "train", fraction: 1.5)]) })
        #expect(fraction.setting == DatasetSetting.splitParts.name && fraction.value == "train 1.5")
        let bound = try #require(
            refusal { try DatasetConvert.convert(input: "/nonexistent", output: "/nonexistent-out", dtype: .q8, maxRelError: -1) })
        #expect(bound.description == "invalid value '-1.0' for max relative error: must be a finite number ≥ 0")
        for refused in [stratify, fraction, bound] { #expect(!refused.description.contains("--"), "\(refused)") }
    }

    @Test func reshardNamesBothSettingsInWords() throws {
        let both = try #require(
            refusal {
                _ = try DatasetReshard.reshard(input: "/nonexistent", output: "/nonexistent-out", recordsPerShard: 2, shardBytes: 10)
            })
        #expect(both.description == "invalid value '2' for records per shard: give exactly one of records per shard and shard size")
        let names = [DatasetSetting.recordsPerShard.name: "--records-per-shard", DatasetSetting.shardSize.name: "--shard-size"]
        #expect(both.rendered { names[$0]! } == "--records-per-shard 2: give exactly one of --records-per-shard and --shard-size")
    }
}
