import Foundation
import StrataTestSupport
import Testing

/// Every command follows spec/FORMAT.md §11 on a manifest that disagrees with its shards: a wrong byte
/// size is refused wherever the dataset is opened; a wrong whole-file CRC32C is refused by `verify` and
/// by the commands that rewrite a whole dataset (`export-hdf5`, `shard`, `split`, `merge`), while the
/// commands that read records on demand (`inspect`) accept it. Uses the refused spec vectors.
@Suite struct ManifestChecksCommandTests {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("spec/vectors").path

    /// Each command line, with `IN` for the dataset and `OUT` for a fresh output path.
    static let rewritingCommands: [[String]] = [
        ["verify", "IN"],
        ["export-hdf5", "IN", "OUT"],
        ["shard", "IN", "--out", "OUT", "--records-per-shard", "1"],
        ["split", "IN", "--out", "OUT", "--train", "0.5", "--val", "0.5", "--test", "0", "--seed", "1"],
        ["merge", "IN", "--out", "OUT"]
    ]

    static func run(_ template: [String], on dataset: String) throws -> CLIRunner.Result {
        try withTemporaryDirectory { dir in
            let arguments = template.map { $0 == "IN" ? vectors + "/" + dataset : $0 == "OUT" ? dir + "/out" : $0 }
            return try CLIRunner.run(arguments)
        }
    }

    @Test(arguments: rewritingCommands)
    func wrongChecksumIsRefusedByWholeDatasetCommands(command: [String]) throws {
        let result = try Self.run(command, on: "bad-dataset-crc")
        #expect(result.status != 0, "\(command[0]) accepted a shard whose CRC32C differs from the manifest")
        #expect(result.stderr.contains("CRC32C") && result.stderr.contains("shard-00000.strata"), "\(command[0]): \(result.stderr)")
        // The same command accepts the consistent dataset.
        let good = try Self.run(command, on: "dataset")
        #expect(good.status == 0, "\(command[0]) on the valid dataset: \(good.stderr)")
    }

    @Test func inspectReadsDespiteAWrongChecksumButNotAWrongSize() throws {
        let inspect = try Self.run(["inspect", "IN"], on: "bad-dataset-crc")
        #expect(inspect.status == 0, "\(inspect.stderr)")
        for command in [["inspect", "IN"]] + Self.rewritingCommands {
            let result = try Self.run(command, on: "bad-dataset-bytes")
            #expect(result.status != 0 && result.stderr.contains("bytes but the manifest says"), "\(command[0]): \(result.stderr)")
        }
    }
}
