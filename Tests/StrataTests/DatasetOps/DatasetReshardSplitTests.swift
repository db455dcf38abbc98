import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// `strata shard` and `strata split`: record-preserving rewrites.
@Suite struct DatasetReshardSplitTests {
    @Test(arguments: [StrataDType.f16, .bf16, .f32])
    func reshardByRecordCountKeepsOrderAndValuesBitExact(dtype: StrataDType) throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/in/a.strata", keys: Array(0..<6), metadata: DatasetFixtures.metadata(dtype: dtype))
            try DatasetFixtures.writeShard(root + "/in/b.strata", keys: Array(6..<10), metadata: DatasetFixtures.metadata(dtype: dtype))
            _ = try DatasetMerge.merge(inputs: [root + "/in"], into: root + "/in")
            let manifest = try DatasetReshard.reshard(input: root + "/in", output: root + "/out", recordsPerShard: 3, shardBytes: nil)
            #expect(manifest.shards.map(\.records) == [3, 3, 3, 1])
            let out = try StrataDataset(path: root + "/out")
            #expect(out.metadata.dtype == dtype)
            #expect(try DatasetFixtures.ids(out) == (0..<10).map(DatasetFixtures.id))
            try DatasetFixtures.expectFaithful(out)
        }
    }

    /// Every block of every record, as stored (payload bytes, codec, ranges), in global order.
    static func storedBlocks(_ dataset: StrataDataset) throws -> [StoredBlock] {
        var out: [StoredBlock] = []
        for global in 0..<dataset.count {
            let (s, local) = dataset.locate(global)
            for b in 0..<(try dataset.shards[s].blockCount(local)) { out.append(try dataset.shards[s].storedBlock(local, block: b)) }
        }
        return out
    }

    @Test func reshardCopiesStoredBlocksByteForByteUnlessCodecSettingsChange() throws {
        try withTemporaryDirectory { root in
            // Small blocks and level 5, so a re-encode with default settings would give other blocks.
            var options = WriterOptions()
            options.zstdLevel = 5
            options.blockTargetBytes = 64
            options.layersPerBlock = 1
            let input = root + "/a.strata"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let writer = try ShardWriter(path: input, metadata: DatasetFixtures.metadata(dtype: .bf16), options: options)
            for key in 0..<5 {
                let t = DatasetFixtures.tokens(key)
                let record = RecordInput(
                    id: DatasetFixtures.id(key), labels: [DatasetFixtures.label(key)], tokenIDs: (0..<t).map { Int32(key * 10 + $0) },
                    text: "text \(key)", metadata: ["source": key % 2 == 0 ? "even" : "odd"], auxiliary: ["logp": [Float(key), -1]])
                let bits = DatasetFixtures.values(key).map { UInt16($0.bitPattern >> 16) } // exact: small integers
                try bits.withUnsafeBufferPointer { try writer.append(record, values: .bf16($0)) }
            }
            try writer.close()
            let source = try StrataDataset(path: input)
            try DatasetReshard.reshard(input: input, output: root + "/copied", recordsPerShard: 2, shardBytes: nil)
            let copied = try Self.storedBlocks(StrataDataset(path: root + "/copied"))
            #expect(copied.map(\.payload) == (try Self.storedBlocks(source)).map(\.payload))
            #expect(copied.count > 5)
            try DatasetFixtures.expectFaithful(StrataDataset(path: root + "/copied"))
            // Other codec settings re-encode: same values, other blocks.
            try DatasetReshard.reshard(
                input: input, output: root + "/reencoded", recordsPerShard: 2, shardBytes: nil, options: WriterOptions())
            let reencoded = try Self.storedBlocks(StrataDataset(path: root + "/reencoded"))
            #expect(reencoded.count < copied.count)
            try DatasetFixtures.expectFaithful(StrataDataset(path: root + "/reencoded"))
        }
    }

    @Test func copiedBlockThatDisagreesWithItsSourceChecksumIsRefused() throws {
        try withTemporaryDirectory { root in
            let input = try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1])
            var block = try ShardReader(path: input).storedBlock(0, block: 0)
            block.payload[block.payload.count / 2] ^= 0x10
            let out = try ShardWriter(path: root + "/b.strata", metadata: DatasetFixtures.metadata())
            let info = try ShardReader(path: input).info(0)
            let record = RecordInput(
                id: info.id, labels: info.labels, tokenIDs: info.tokenIDs, text: info.text, metadata: info.metadata,
                auxiliary: ["logp": try ShardReader(path: input).auxiliary(0, name: "logp")])
            let blocks = try (0..<ShardReader(path: input).blockCount(0)).map { b in
                RecordBlock.encoded(b == 0 ? block : try ShardReader(path: input).storedBlock(0, block: b))
            }
            do {
                try out.append(record, blocks: blocks)
                Issue.record("a payload that no longer matches its source CRC32C was accepted")
            } catch let error as StrataError {
                #expect(error.kind == .corrupt)
                #expect("\(error)".contains("recorded with it at its source"))
            }
            #expect(out.recordCount == 0)
            try out.close()
        }
    }

    @Test func reshardBySizeAndArgumentErrors() throws {
        try withTemporaryDirectory { root in
            let input = try DatasetFixtures.writeShard(root + "/a.strata", keys: Array(0..<12))
            let size = try ShardReader(path: input).fileSize
            let manifest = try DatasetReshard.reshard(input: input, output: root + "/out", recordsPerShard: nil, shardBytes: size / 3)
            #expect(manifest.shards.count >= 3)
            #expect(manifest.records == 12)
            try DatasetFixtures.expectFaithful(StrataDataset(path: root + "/out"))
            #expect(throws: DatasetOpsError.self) {
                try DatasetReshard.reshard(input: input, output: root + "/x", recordsPerShard: 2, shardBytes: 10)
            }
            #expect(throws: DatasetOpsError.self) {
                try DatasetReshard.reshard(input: input, output: root + "/x", recordsPerShard: nil, shardBytes: nil)
            }
            #expect(throws: DatasetOpsError.self) {
                try DatasetReshard.reshard(input: input, output: root + "/out", recordsPerShard: 2, shardBytes: nil)
            }
        }
    }

    static let parts = [
        DatasetSplit.Part(name: "train", fraction: 0.8), .init(name: "val", fraction: 0.1), .init(name: "test", fraction: 0.1)
    ]

    @Test func assignmentIsAStratifiedDeterministicPartition() throws {
        let keys = (0..<1000).map { i in i % 10 == 0 ? "rare" : (i % 3 == 0 ? "b" : "a") }
        let split = try DatasetSplit.assign(keys: keys, parts: Self.parts, seed: 5)
        #expect(split.joined().sorted() == Array(0..<1000))
        #expect(try DatasetSplit.assign(keys: keys, parts: Self.parts, seed: 5) == split)
        #expect(try DatasetSplit.assign(keys: keys, parts: Self.parts, seed: 6) != split)
        for stratum in ["a", "b", "rare"] {
            let members = keys.indices.filter { keys[$0] == stratum }
            for (part, assigned) in zip(Self.parts, split) {
                let share = assigned.filter { keys[$0] == stratum }.count
                #expect(abs(Double(share) - Double(members.count) * part.fraction) <= 1)
            }
        }
        for (part, assigned) in zip(Self.parts, split) { #expect(abs(Double(assigned.count) - 1000 * part.fraction) <= 1) }
        // Small strata: totals still follow the fractions (33 records in two classes).
        let small = try DatasetSplit.assign(keys: (0..<33).map { $0 % 2 == 0 ? "x" : "y" }, parts: Self.parts, seed: 1)
        #expect(small.map(\.count) == [26, 4, 3] || small.map(\.count) == [27, 3, 3] || small.map(\.count) == [26, 3, 4])
        let half = try DatasetSplit.assign(keys: keys, parts: [.init(name: "train", fraction: 0.5)], seed: 5)
        #expect(half[0].count == 500)
        #expect(throws: DatasetOpsError.self) {
            try DatasetSplit.assign(keys: keys, parts: [.init(name: "a", fraction: 0.7), .init(name: "b", fraction: 0.7)], seed: 1)
        }
        #expect(throws: DatasetOpsError.self) { try DatasetSplit.assign(keys: keys, parts: [.init(name: "a", fraction: -0.1)], seed: 1) }
    }

    @Test func splitWritesFixedStratifiedSubDatasets() throws {
        try withTemporaryDirectory { root in
            let input = try DatasetFixtures.writeShard(root + "/all.strata", keys: Array(0..<40))
            let result = try DatasetSplit.split(
                input: input, output: root + "/s1", parts: Self.parts, stratify: .label, seed: 3, recordsPerShard: 10)
            #expect(result.parts.map(\.name) == ["train", "val", "test"])
            var seen: [String] = []
            var byPart: [String: [String]] = [:]
            for part in result.parts {
                let dataset = try StrataDataset(path: part.directory)
                try DatasetFixtures.expectFaithful(dataset)
                #expect(dataset.manifest?.extra["split"] == part.name)
                byPart[part.name] = try DatasetFixtures.ids(dataset)
                seen += byPart[part.name]!
            }
            #expect(seen.sorted() == (0..<40).map(DatasetFixtures.id).sorted())
            // Labels: 14 records of class 1 (keys divisible by 3), 26 of class 0.
            let positives = byPart["train"]!.filter { DatasetFixtures.label(DatasetFixtures.key(ofID: $0)!) == 1 }.count
            #expect(abs(Double(positives) - 14 * 0.8) <= 1)
            // Same seed, same sets.
            let again = try DatasetSplit.split(input: input, output: root + "/s2", parts: Self.parts, stratify: .label, seed: 3)
            for part in again.parts { #expect(try DatasetFixtures.ids(StrataDataset(path: part.directory)) == byPart[part.name]) }
            #expect(throws: DatasetOpsError.self) {
                try DatasetSplit.split(input: input, output: root + "/s3", parts: Self.parts, stratify: .metadata("missing"), seed: 3)
            }
            #expect(try DatasetSplit.Stratify(parsing: "meta:source") == .metadata("source"))
            #expect(throws: DatasetOpsError.self) { try DatasetSplit.Stratify(parsing: "labels") }
        }
    }
}
