import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataProbe

/// Ids of every record in one pass, with the step boundaries seen.
private func drain(_ stream: BatchStream) throws -> (ids: [String], steps: [Int]) {
    var ids: [String] = [], steps: [Int] = [], inStep = 0
    while let b = try stream.next() {
        ids += b.ids; inStep += b.count
        if b.endsStep { steps.append(inStep); inStep = 0 }
    }
    return (ids, steps)
}

/// Ids per optimizer step of one pass (a step with no records on this rank is an empty list).
private func stepIDs(_ stream: BatchStream) throws -> [[String]] {
    var steps: [[String]] = [], current: [String] = []
    while let b = try stream.next() {
        current += b.ids
        if b.endsStep { steps.append(current); current = [] }
    }
    return steps
}

/// Ranks of a world read their slices of every step: at each step the ranks' records, in rank
/// order, are exactly the single-process step (global batch = batchSize), every rank takes every
/// step, and a state saved by one rank mid-epoch resumes another rank at the same step. Each epoch
/// has a different seeded order (values: `OneReaderTests`).
@Test func streamSourcePartitionsShufflesAndMatchesDirectReads() throws {
    try withTemporaryDirectoryURL("streamsrc") { dir in
        let path = dir.appendingPathComponent("d.strata").path
        try writeSyntheticShard(at: path, count: 41)
        let dataset = try StrataDataset(path: path)
        let records = Array(stride(from: 0, to: 41, by: 1)).filter { $0 % 5 != 0 } // a "train split" of 32
        let budget = MemoryBudget(bytes: 64 << 20)
        func source(rank: Int = 0, world: Int = 1) throws -> RecordBatchSource {
            try RecordBatchSource(
                dataset: dataset, records: records, layers: [2, 0], budget: budget, // unsorted on purpose
                partition: RankPartition(rank: rank, world: world))
        }
        let expectedIDs = Set(records.map { "rec-\($0)" })

        // 32 records in global batches of 5: 6 steps of 5 (split 2/2/1) and a last step of 2 (1/1/0).
        let single = try stepIDs(try source().makeStream(epoch: 1, shuffle: true, seed: 9, batchSize: 5))
        #expect(single.map(\.count) == [5, 5, 5, 5, 5, 5, 2])
        var perRank: [[[String]]] = []
        for rank in 0..<3 {
            let ranked = try source(rank: rank, world: 3)
            #expect(ranked.recordsPerEpoch == 32)
            perRank.append(try stepIDs(try ranked.makeStream(epoch: 1, shuffle: true, seed: 9, batchSize: 5)))
            #expect(perRank[rank].count == single.count)
        }
        for k in single.indices { #expect(perRank[0][k] + perRank[1][k] + perRank[2][k] == single[k], "step \(k)") }
        #expect(perRank.map { $0.last!.count } == [1, 1, 0])
        #expect(Set(perRank.flatMap { $0.flatMap { $0 } }) == expectedIDs)

        // Rank 0 stops after 3 steps; its state resumes rank 2 at step 4.
        let rank0 = try source(rank: 0, world: 3)
        let stream0 = try rank0.makeResumableStream(epoch: 1, shuffle: true, seed: 9, batchSize: 5, resume: nil)
        var ended = 0
        while ended < 3, let b = try stream0.next() { if b.endsStep { ended += 1 } }
        let saved = stream0.state
        stream0.close()
        #expect(saved.steps == 3 && saved.stepBatch == 5 && saved.rank == 0)
        let rank2 = try source(rank: 2, world: 3)
        let rest = try stepIDs(try rank2.makeResumableStream(epoch: 1, shuffle: true, seed: 9, batchSize: 5, resume: saved))
        #expect(rest == Array(perRank[2][3...]))

        let whole = try source()
        let e1 = try drain(try whole.makeStream(epoch: 1, shuffle: true, seed: 9, batchSize: 5)).ids
        let e2 = try drain(try whole.makeStream(epoch: 2, shuffle: true, seed: 9, batchSize: 5)).ids
        #expect(Set(e1) == expectedIDs && Set(e2) == expectedIDs && e1 != e2)
    }
}

/// A pass stopped at a step boundary and resumed from its saved state yields exactly the
/// remaining batches, also when a small budget splits minibatches into several chunks.
@Test func streamSourceResumesExactlyAtStepBoundaries() throws {
    try withTemporaryDirectoryURL("streamresume") { dir in
        let path = dir.appendingPathComponent("d.strata").path
        try writeSyntheticShard(at: path, count: 30, hidden: 64, maxTokens: 40)
        let dataset = try StrataDataset(path: path)
        // chunk budget 1/5 of 1 MiB ≈ 200 KiB: a few 40-token × 3-layer × 64 records per chunk.
        let source = try RecordBatchSource(dataset: dataset, layers: nil, budget: MemoryBudget(bytes: 1 << 20))
        let full = try drain(try source.makeStream(epoch: 3, shuffle: true, seed: 4, batchSize: 8))

        let first = try source.makeResumableStream(epoch: 3, shuffle: true, seed: 4, batchSize: 8, resume: nil)
        var seen: [String] = [], steps = 0, chunks = 0
        while steps < 2, let b = try first.next() {
            seen += b.ids; chunks += 1
            if b.endsStep { steps += 1 }
        }
        #expect(chunks > 2) // the budget did split minibatches
        let saved = try StreamState.decode(try first.state.jsonData(), source: "test")
        first.close()
        #expect(saved.position == 16)
        let rest = try drain(try source.makeResumableStream(epoch: 3, shuffle: true, seed: 4, batchSize: 8, resume: saved)).ids
        #expect(seen + rest == full.ids)
    }
}

/// With the epoch cache, the first epoch fills it with every record (stored f16 bytes) and
/// later epochs deliver the same values, bit for bit, as a source that decodes every time; a
/// budget too small for the cache leaves it off.
@Test func epochCacheDeliversTheDecodedValuesBitForBit() throws {
    try withTemporaryDirectoryURL("epochcache") { dir in
        let path = dir.appendingPathComponent("d.strata").path
        try writeSyntheticShard(at: path, count: 25, hidden: 16, maxTokens: 12)
        let dataset = try StrataDataset(path: path)
        let cached = try RecordBatchSource(dataset: dataset, layers: [1, 0, 2], budget: MemoryBudget(bytes: 8 << 20), epochCache: true)
        let plain = try RecordBatchSource(dataset: dataset, layers: [1, 0, 2], budget: MemoryBudget(bytes: 8 << 20))
        #expect(cached.cachesEpochs && !plain.cachesEpochs)
        for epoch in 1...3 {
            let a = try cached.makeStream(epoch: epoch, shuffle: true, seed: 1, batchSize: 6)
            let b = try plain.makeStream(epoch: epoch, shuffle: true, seed: 1, batchSize: 6)
            while let x = try a.next() {
                let y = try #require(try b.next())
                #expect(x.ids == y.ids && x.values.map(\.bitPattern) == y.values.map(\.bitPattern) && x.mask == y.mask)
            }
            #expect(try b.next() == nil)
            let expected = plain.tokenCounts.reduce(0, +) * 3 * 16 * 2
            #expect(cached.epochCacheBytes == expected)
        }
        // ~170 records' worth of 1 MiB × 3/20: 25 records × ≤ 12 tokens × 3 × 16 × 2 bytes fit, 1 MiB/8 of them do not.
        let need = plain.tokenCounts.reduce(0, +) * 3 * 16 * 2
        let tight = try RecordBatchSource(
            dataset: dataset, layers: [1, 0, 2], budget: MemoryBudget(bytes: need * 20 / 3 - 64), epochCache: true)
        #expect(!tight.cachesEpochs)
        let roomy = try RecordBatchSource(
            dataset: dataset, layers: [1, 0, 2], budget: MemoryBudget(bytes: need * 20 / 3 + 64), epochCache: true)
        #expect(roomy.cachesEpochs)
    }
}
