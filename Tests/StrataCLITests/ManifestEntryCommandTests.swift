import Foundation
import Strata
import StrataTestSupport
import Testing

/// Issue 11.7: a manifest whose shard entry lies about its record count is blamed at that entry,
/// not at the total; counts from the manifest are bounded before they are used.
@Suite struct ManifestEntryCommandTests {
    /// A dataset directory of 3 shards (4, 4 and 2 records) and its manifest as a JSON object.
    static func dataset(_ dir: String) throws -> (path: String, manifest: [String: Any]) {
        let shard = dir + "/all.strata"
        let synth = try CLIRunner.run([
            "synth", "--out", shard, "--records", "10", "--layer-count", "2", "--hidden", "8",
            "--min-tokens", "1", "--max-tokens", "4", "--seed", "4"
        ])
        try #require(synth.status == 0, "\(synth.stderr)")
        let split = try CLIRunner.run(["shard", shard, "--out", dir + "/ds", "--records-per-shard", "4"])
        try #require(split.status == 0, "\(split.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/ds/manifest.json"))
        return (dir + "/ds", try #require(JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    static func write(_ manifest: [String: Any], to dataset: String) throws {
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: dataset + "/manifest.json"))
    }

    @Test func wrongShardEntryIsBlamedNotTheTotal() throws {
        try withTemporaryDirectory { dir in
            let (dataset, manifest) = try Self.dataset(dir)
            var shards = try #require(manifest["shards"] as? [[String: Any]])
            try #require(shards.map { $0["records"] as? Int } == [4, 4, 2])
            let entryPath = try #require(shards[1]["path"] as? String)

            // One entry bumped, the total left alone: the entry is at fault.
            var bumped = manifest
            shards[1]["records"] = 5
            bumped["shards"] = shards
            try Self.write(bumped, to: dataset)
            for command in [["inspect", dataset], ["verify", dataset], ["stream", dataset, "--ids"]] {
                let result = try CLIRunner.run(command)
                #expect(result.status != 0, "\(command[0]) accepted the bumped entry")
                #expect(
                    result.stderr.contains("manifest.json") && result.stderr.contains("shards[1] (\"\(entryPath)\") says 5 records")
                        && result.stderr.contains("holds 4"), "\(command[0]): \(result.stderr)")
                #expect(!result.stderr.contains("not the sum"), "\(command[0]) blamed the total: \(result.stderr)")
            }

            // The entry and the total bumped together: still the entry.
            bumped["records"] = 11
            try Self.write(bumped, to: dataset)
            let both = try CLIRunner.run(["inspect", dataset])
            #expect(both.status != 0 && both.stderr.contains("shards[1]"), "\(both.stderr)")

            // Entries right, the total wrong: the total is at fault.
            var total = manifest
            total["records"] = 12
            try Self.write(total, to: dataset)
            let wrongTotal = try CLIRunner.run(["inspect", dataset])
            #expect(
                wrongTotal.status != 0 && wrongTotal.stderr.contains("\"records\" is 12 but its 3 shard entries list 10"),
                "\(wrongTotal.stderr)")

            // Counts are bounded before anything adds them up (this used to overflow).
            var huge = manifest
            var hugeShards = try #require(manifest["shards"] as? [[String: Any]])
            hugeShards[0]["records"] = Int.max
            hugeShards[1]["records"] = Int.max
            huge["shards"] = hugeShards
            try Self.write(huge, to: dataset)
            let overflow = try CLIRunner.run(["inspect", dataset])
            #expect(!overflow.signaled && overflow.status != 0, "exit \(overflow.status): \(overflow.stderr)")
            #expect(overflow.stderr.contains("shards[0]") && overflow.stderr.contains("outside 0...4294967296"), "\(overflow.stderr)")

            try Self.write(manifest, to: dataset)
            #expect(try CLIRunner.run(["verify", dataset]).status == 0)
        }
    }
}
