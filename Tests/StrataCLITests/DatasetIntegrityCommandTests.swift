import Foundation
import Strata
import StrataTestSupport
import Testing

/// `verify` and `stream` on datasets that would serve records twice (a shard listed twice, an id in two
/// shards) or that fail part-way (a corrupt record): refused up front, or every id before the failure
/// printed and the failure named.
@Suite struct DatasetIntegrityCommandTests {
    /// Shards a.strata and b.strata of 20 records each in `dir` (ids `<prefixA>0…19`, `<prefixB>0…19`).
    static func twoShards(_ dir: String, prefixA: String = "a", prefixB: String = "b") throws {
        try StreamingCommandTests.synth(dir + "/a.strata", records: 20, prefix: prefixA, seed: 1)
        try StreamingCommandTests.synth(dir + "/b.strata", records: 20, prefix: prefixB, seed: 2)
    }

    @Test func aShardListedTwiceUnderAnotherSpellingIsRefusedByVerifyAndStream() throws {
        try withTemporaryDirectory { dir in
            try Self.twoShards(dir)
            try DatasetManifest.build(directory: dir, shardPaths: ["a.strata", "./a.strata", "b.strata"]).write(directory: dir)
            let verify = try CLIRunner.run(["verify", dir])
            #expect(verify.status != 0)
            #expect(verify.stderr.contains("shards 0 (\"a.strata\") and 1 (\"./a.strata\") are the same file"), "\(verify.stderr)")
            let stream = try CLIRunner.run(["stream", dir, "--ids"])
            #expect(stream.status != 0)
            #expect(stream.stdout.isEmpty, "streamed before refusing: \(stream.stdout)")
            #expect(stream.stderr.contains("are the same file"), "\(stream.stderr)")
        }
    }

    @Test func anIDInTwoShardsIsRefusedNamingBothShardsAndTheID() throws {
        try withTemporaryDirectory { dir in
            try Self.twoShards(dir, prefixA: "x", prefixB: "x") // different values, same ids x0…x19
            try DatasetManifest.build(directory: dir, shardPaths: ["a.strata", "b.strata"]).write(directory: dir)
            for args in [["verify", dir], ["stream", dir, "--ids"]] {
                let result = try CLIRunner.run(args)
                #expect(result.status != 0)
                #expect(result.stdout.isEmpty || args[0] == "verify")
                #expect(
                    result.stderr.contains("record id \"x0\" occurs twice: a.strata record 0 and b.strata record 0"), "\(result.stderr)")
            }
        }
    }

    @Test func streamIDsPrintsEveryIDBeforeACorruptRecordAndNamesIt() throws {
        try withTemporaryDirectory { dir in
            let shard = dir + "/s.strata"
            try StreamingCommandTests.synth(shard, records: 200, prefix: "s", seed: 3)
            // Damage record 120's entry body. Its offset comes from the index as spec/FORMAT.md §7 lays it
            // out (trailer: magic, u64 index offset; index: 32-byte header, 32-byte rows starting with the
            // u64 entry offset), not from the reader.
            let corrupt = 120
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
            func u64(at offset: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
            let indexOffset = u64(at: bytes.count - 32 + 8)
            let entryOffset = u64(at: indexOffset + 32 + 32 * corrupt)
            bytes[entryOffset + 48 + 5] ^= 0x40
            try Data(bytes).write(to: URL(fileURLWithPath: shard))

            let result = try CLIRunner.run(["stream", shard, "--sequential", "--ids"])
            #expect(result.status != 0)
            #expect(result.stdout == (0..<corrupt).map { "s\($0)\n" }.joined(), "\(result.stdout.suffix(200))")
            #expect(result.stderr.contains("record \(corrupt)") && result.stderr.contains("checksum"), "\(result.stderr)")
        }
    }
}
