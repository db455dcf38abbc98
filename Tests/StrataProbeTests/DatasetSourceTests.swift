import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataProbe

/// Writes a shard with planted-signal records (f16 storage) and returns its path.
func writeSyntheticShard(
    at path: String, count: Int, layers: Int = 3, hidden: Int = 12, maxTokens: Int = 10, seed: UInt64 = 1,
    withLogprobs: Bool = false
) throws {
    var meta = StrataMetadata(
        hidden: hidden, layers: (0..<layers).map { LayerInfo(index: $0 * 10, kind: $0 == 0 ? "embedding" : "block") },
        dtype: .f16, labelNames: ["neg", "pos"])
    if withLogprobs { meta.auxiliary = [AuxiliaryInfo(name: "next_token_logprobs", length: 8)] }
    let writer = try ShardWriter(path: path, metadata: meta)
    var rng = SeededGenerator(seed: seed)
    for i in 0..<count {
        let label = Int(rng.next() % 2)
        let n = 2 + Int(rng.next() % UInt64(maxTokens - 1))
        var v = (0..<(layers * n * hidden)).map { _ in rng.normal() * 0.5 }
        for t in 0..<n where t % 3 == 0 { v[((layers / 2) * n + t) * hidden + label] += 2 }
        var aux: [String: [Float]] = [:]
        if withLogprobs {
            var f = (0..<8).map { _ in rng.normal() }
            f[label] += 3
            aux["next_token_logprobs"] = f
        }
        let record = RecordInput(id: "rec-\(i)", labels: [label], tokenIDs: (0..<n).map { Int32($0) }, auxiliary: aux)
        try v.withUnsafeBufferPointer { try writer.append(record, values: .f32($0)) }
    }
    try writer.close()
}

@Test func datasetSourcePadsMasksAndReadsLayerSubsets() throws {
    try withTemporaryDirectoryURL("src") { dir in
        let path = dir.appendingPathComponent("a.strata").path
        try writeSyntheticShard(at: path, count: 23)
        let ds = try StrataDataset(path: path)
        let source = try RecordBatchSource(dataset: ds, layers: [2, 0], budget: MemoryBudget(bytes: 64 << 20))
        #expect(source.labels.count == 23)
        let stream = try source.makeStream(epoch: 1, shuffle: true, seed: 4, batchSize: 8)
        var seen: [String] = []
        while let b = try stream.next() {
            try b.validate()
            #expect(b.layers == 2 && b.hidden == 12)
            for slot in 0..<b.count {
                let g = Int(b.ids[slot].dropFirst(4))!
                let info = try ds.info(g)
                #expect(b.labels[slot] == info.labels[0])
                let expected = try ds.readFloat(g, layers: [2, 0])
                let n = info.nTokens
                for t in 0..<b.tokens { #expect(b.mask[slot * b.tokens + t] == (t < n ? 1 : 0)) }
                for l in 0..<2 {
                    for t in 0..<b.tokens {
                        for j in 0..<12 {
                            let got = b.values[((slot * 2 + l) * b.tokens + t) * 12 + j]
                            #expect(got == (t < n ? expected[(l * n + t) * 12 + j] : 0))
                        }
                    }
                }
                seen.append(b.ids[slot])
            }
        }
        #expect(seen.count == 23 && Set(seen).count == 23)
        // seeded: the same epoch gives the same order, another epoch another
        func order(_ epoch: Int) throws -> [String] {
            let s = try source.makeStream(epoch: epoch, shuffle: true, seed: 4, batchSize: 8)
            var ids: [String] = []
            while let b = try s.next() { ids += b.ids }
            return ids
        }
        #expect(try order(1) == seen)
        #expect(try order(2) != seen)
    }
}

@Test func smallBudgetSplitsMinibatchesIntoChunksWithoutChangingTheStep() throws {
    try withTemporaryDirectoryURL("chunk") { dir in
        let path = dir.appendingPathComponent("a.strata").path
        try writeSyntheticShard(at: path, count: 40, hidden: 64, maxTokens: 40)
        let ds = try StrataDataset(path: path)
        // chunk limit = budget/5 ≈ 3 records of 40 tokens × 3 layers × 64 × 4 B
        let small = try RecordBatchSource(dataset: ds, layers: nil, budget: MemoryBudget(bytes: 5 * 3 * 40 * (3 * 64 * 4 + 1)))
        let s = try small.makeStream(epoch: 1, shuffle: true, seed: 1, batchSize: 16)
        var stepSizes: [Int] = [], current = 0, chunks = 0
        while let b = try s.next() {
            chunks += 1
            #expect(b.byteCount <= small.budget.chunkBytes)
            current += b.count
            if b.endsStep { stepSizes.append(current); current = 0 }
        }
        #expect(stepSizes == [16, 16, 8])
        #expect(chunks > 3)
        // too small for the longest record: a clear error naming the memory budget
        #expect(throws: ProbeError.self) { try RecordBatchSource(dataset: ds, layers: nil, budget: MemoryBudget(bytes: 1 << 12)) }
    }
}

@Test func trainingFromTheDatasetEqualsTrainingFromTheSameRecordsInMemory() throws {
    try withTemporaryDirectoryURL("eq") { dir in
        let path = dir.appendingPathComponent("a.strata").path
        try writeSyntheticShard(at: path, count: 50)
        let ds = try StrataDataset(path: path)
        let fromDataset = try RecordBatchSource(dataset: ds, layers: nil, budget: MemoryBudget(bytes: 64 << 20))
        let records = try (0..<ds.count).map { g -> InMemoryRecords.Record in
            let info = try ds.info(g)
            return .init(id: info.id, label: info.labels[0], tokens: info.nTokens, values: try ds.readFloat(g))
        }
        let inMemory = try RecordBatchSource(inMemory: InMemoryRecords(records: records, layers: 3, hidden: 12))
        var o = TrainingOptions()
        o.epochs = 2; o.batchSize = 8; o.learningRate = 1e-2; o.seed = 3; o.workers = 2
        let cfg = ProbeConfiguration(kind: .gate, hidden: 12, layers: [0, 1, 2], classes: 2)
        let a = try Probe(configuration: cfg, seed: 1), b = try Probe(configuration: cfg, seed: 1)
        _ = try Trainer(probe: a, options: o).fit(train: fromDataset, validation: nil)
        _ = try Trainer(probe: b, options: o).fit(train: inMemory, validation: nil)
        #expect(a.parameters == b.parameters)
    }
}

@Test func logitBaselineReadsAuxiliaryVectorsOrExplainsWhyNot() throws {
    try withTemporaryDirectoryURL("aux") { dir in
        let with = dir.appendingPathComponent("with.strata").path, without = dir.appendingPathComponent("without.strata").path
        try writeSyntheticShard(at: with, count: 60, withLogprobs: true)
        try writeSyntheticShard(at: without, count: 5)
        let source = try RecordBatchSource(
            dataset: StrataDataset(path: with), layers: nil, featureName: "next_token_logprobs",
            budget: MemoryBudget(bytes: 16 << 20))
        #expect(source.featureWidth == 8)
        let probe = try Probe(
            configuration: ProbeConfiguration(
                kind: .logits, hidden: 12, layers: [], classes: 2,
                featureName: "next_token_logprobs", featureWidth: 8), seed: 1)
        var o = TrainingOptions()
        o.epochs = 10; o.batchSize = 8; o.learningRate = 5e-2
        let r = try Trainer(probe: probe, options: o).fit(train: source, validation: source)
        #expect(r.validation!.accuracy > 0.9)
        do {
            _ = try RecordBatchSource(
                dataset: StrataDataset(path: without), layers: nil, featureName: "next_token_logprobs",
                budget: MemoryBudget(bytes: 16 << 20))
            Issue.record("expected an error")
        } catch let e as ProbeError {
            #expect(e.description.contains("next_token_logprobs") && e.description.contains("log-probabilities"))
        }
    }
}

@Test func memoryBudgetParsing() throws {
    // ByteSize's one rule: KiB/MiB/GiB and bare K/M/G are powers of 1024, KB/MB/GB powers of 1000.
    #expect(try MemoryBudget(parsing: "2GiB").bytes == 2 << 30)
    #expect(try MemoryBudget(parsing: "512MiB").bytes == 512 << 20)
    #expect(try MemoryBudget(parsing: "1.5g").bytes == 3 << 29)
    #expect(try MemoryBudget(parsing: "2GB").bytes == 2_000_000_000)
    #expect(try MemoryBudget(parsing: "512MB").bytes == 512_000_000)
    #expect(try MemoryBudget(parsing: "1MiB").bytes == MemoryBudget.minimumBytes)
    #expect(throws: ProbeError.self) { try MemoryBudget(parsing: "1MB") } // 10^6 < 1MiB
    #expect(throws: ProbeError.self) { try MemoryBudget(parsing: "lots") }
    #expect(throws: ProbeError.self) { try MemoryBudget(parsing: "10KB") }
}
