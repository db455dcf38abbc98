import Foundation
import Strata

/// A `BatchSource` reading minibatches from a `StrataDataset` in bounded memory: seeded per-epoch
/// shuffle of record indices, a background thread that decodes records (only the selected layers)
/// to f32 and pads them into chunks, and a prefetch queue bounded in bytes.
///
/// Small on purpose: it sits behind `BatchSource`, so a general streaming reader can replace it.
public final class DatasetBatchSource: BatchSource {
    public let dataset: StrataDataset
    /// Global record indices this source serves (e.g. a train or validation split).
    public let records: [Int]
    /// Layer positions read for each record (nil for the logit baseline).
    public let layers: [Int]?
    /// Auxiliary vector used as features instead of hidden states (logit baseline).
    public let featureName: String?
    public let featureWidth: Int
    /// The budget chunks and the prefetch queue are sized from (see `reserve`).
    public private(set) var budget: MemoryBudget
    public let labels: [Int]
    /// Token count of each record of `records`.
    public let tokenCounts: [Int]

    public var count: Int { records.count }

    /// - Parameters:
    ///   - layers: positions in `dataset.metadata.layers` to read (ignored when `featureName` is set).
    ///   - featureName: read this auxiliary vector instead of hidden states.
    public init(dataset: StrataDataset, records: [Int]? = nil, layers: [Int]?, featureName: String? = nil, budget: MemoryBudget) throws {
        self.dataset = dataset
        self.records = records ?? Array(0..<dataset.count)
        self.featureName = featureName
        self.budget = budget
        let meta = dataset.metadata
        if let featureName {
            guard let aux = meta.auxiliary.first(where: { $0.name == featureName }) else {
                throw ProbeError.missingAuxiliary(dataset: dataset.path, name: featureName, available: meta.auxiliary.map(\.name))
            }
            self.layers = nil
            if let n = aux.length { featureWidth = n }
            else if let first = self.records.first { featureWidth = try dataset.auxiliary(first, name: featureName).count }
            else { featureWidth = 0 }
        } else {
            let chosen = layers ?? Array(0..<meta.layers.count)
            for l in chosen where l < 0 || l >= meta.layers.count {
                throw ProbeError.invalidOption(name: "layers", value: "\(l)", reason: "dataset \(dataset.path) has layer positions 0..<\(meta.layers.count)")
            }
            self.layers = chosen
            featureWidth = 0
        }
        var labels: [Int] = [], counts: [Int] = []
        labels.reserveCapacity(self.records.count)
        for r in self.records {
            let info = try dataset.info(r)
            labels.append(info.labels.first ?? -1)
            counts.append(info.nTokens)
        }
        self.labels = labels
        tokenCounts = counts
        try checkLongestRecordFits(reserved: nil)
    }

    /// Tokens of the longest record (0 when there is none).
    public var longestRecord: Int { tokenCounts.max() ?? 0 }

    /// Sets `footprint`'s bytes aside from the budget (the probe's parameters, gradients, optimizer
    /// state and workspaces); chunks and the queue are sized from what remains.
    /// - Throws: `ProbeError.invalidOption` naming `--memory-budget` when the longest record no
    ///   longer fits in a chunk.
    public func reserve(_ footprint: TrainingFootprint) throws {
        budget.reservedBytes = footprint.bytes
        try checkLongestRecordFits(reserved: footprint)
    }

    private func checkLongestRecordFits(reserved footprint: TrainingFootprint?) throws {
        guard featureName == nil, !tokenCounts.isEmpty else { return }
        let need = recordBytes(tokens: longestRecord)
        guard need > budget.chunkBytes else { return }
        let shape = "the longest record (\(longestRecord) tokens × \(layers!.count) layers × \(dataset.metadata.hidden)) needs \(need >> 20)MB as f32"
        guard let footprint else {
            throw ProbeError.invalidOption(name: "--memory-budget", value: budget.description,
                                           reason: "\(shape); the budget must be at least 5× that (\((need * 5) >> 20)MB)")
        }
        throw ProbeError.invalidOption(
            name: "--memory-budget", value: budget.description,
            reason: "the probe's training state takes \(footprint) of it, and \(shape), a fifth of what is left; "
                + "the budget must be at least \((footprint.bytes + need * 5 + (1 << 20) - 1) >> 20)MB (fewer --threads need less)")
    }

    /// Padded f32 bytes of one record with `tokens` tokens.
    func recordBytes(tokens: Int) -> Int {
        featureName != nil ? featureWidth * 4 : tokens * ((layers?.count ?? 0) * dataset.metadata.hidden * 4 + 1)
    }

    /// Splits logical minibatches of `order` into chunks no larger than the budget's chunk size.
    func plan(order: [Int], batchSize: Int) -> [(slots: [Int], endsStep: Bool)] {
        var chunks: [(slots: [Int], endsStep: Bool)] = []
        var start = 0
        while start < order.count {
            let end = min(order.count, start + batchSize)
            var current: [Int] = [], longest = 0
            for k in start..<end {
                let n = tokenCounts[order[k]]
                let newLongest = max(longest, n)
                if !current.isEmpty && recordBytes(tokens: newLongest) * (current.count + 1) > budget.chunkBytes {
                    chunks.append((current, false))
                    current = []; longest = 0
                }
                current.append(order[k]); longest = max(longest, n)
            }
            chunks.append((current, true))
            start = end
        }
        return chunks
    }

    public func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream {
        let order = epochOrder(count: records.count, epoch: epoch, shuffle: shuffle, seed: seed)
        return PrefetchStream(source: self, chunks: plan(order: order, batchSize: max(1, batchSize)))
    }

    /// Builds one chunk (runs on the prefetch thread). `slots` are positions in `records`.
    func buildChunk(_ slots: [Int], endsStep: Bool, scratch: inout [Float]) throws -> Batch {
        let hidden = dataset.metadata.hidden
        if let featureName {
            var builder = PaddedBatchBuilder(tokenCounts: slots.map { _ in 0 }, layers: 0, hidden: hidden, featureWidth: featureWidth, endsStep: endsStep)
            for (slot, k) in slots.enumerated() {
                let g = records[k]
                let v = try dataset.auxiliary(g, name: featureName)
                guard v.count == featureWidth else {
                    throw ProbeError.invalidData(source: dataset.path, record: "\(g)", reason: "auxiliary '\(featureName)' has \(v.count) values, expected \(featureWidth)")
                }
                builder.setFeatures(slot: slot, v)
                builder.setLabel(slot: slot, labels[k], id: try dataset.info(g).id)
            }
            return builder.batch
        }
        let layerList = layers!
        var builder = PaddedBatchBuilder(tokenCounts: slots.map { tokenCounts[$0] }, layers: layerList.count, hidden: hidden, endsStep: endsStep)
        for (slot, k) in slots.enumerated() {
            let g = records[k], n = tokenCounts[k]
            let total = layerList.count * n * hidden
            if scratch.count < total { scratch = [Float](repeating: 0, count: total) }
            try scratch.withUnsafeMutableBufferPointer { buf in
                let view = UnsafeMutableBufferPointer(rebasing: buf[0..<total])
                try dataset.readFloat(g, layers: layerList, tokens: nil, into: view)
                builder.setValues(slot: slot, from: UnsafeBufferPointer(view), tokens: n)
            }
            builder.setLabel(slot: slot, labels[k], id: try dataset.info(g).id)
        }
        return builder.batch
    }
}

/// Background decoding with a byte-bounded queue (see `MemoryBudget`).
final class PrefetchStream: BatchStream, @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Batch] = []
    private var queuedBytes = 0
    private var finished = false
    private var cancelled = false
    private var failure: Error?
    private let capacity: Int

    init(source: DatasetBatchSource, chunks: [(slots: [Int], endsStep: Bool)]) {
        capacity = source.budget.queueBytes
        let thread = Thread { [weak self] in
            var scratch: [Float] = []
            for chunk in chunks {
                guard let self, !self.isCancelled else { return }
                do {
                    let batch = try source.buildChunk(chunk.slots, endsStep: chunk.endsStep, scratch: &scratch)
                    if !self.put(batch) { return }
                } catch {
                    self.fail(error)
                    return
                }
            }
            self?.finish()
        }
        thread.name = "strata-prefetch"
        thread.start()
    }

    private var isCancelled: Bool { condition.lock(); defer { condition.unlock() }; return cancelled }

    /// Waits for room (the queue may always hold one chunk), then enqueues. False when cancelled.
    private func put(_ batch: Batch) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while !cancelled && !queue.isEmpty && queuedBytes + batch.byteCount > capacity { condition.wait() }
        if cancelled { return false }
        queue.append(batch)
        queuedBytes += batch.byteCount
        condition.broadcast()
        return true
    }

    private func fail(_ error: Error) {
        condition.lock(); failure = error; finished = true; condition.broadcast(); condition.unlock()
    }

    private func finish() {
        condition.lock(); finished = true; condition.broadcast(); condition.unlock()
    }

    func next() throws -> Batch? {
        condition.lock(); defer { condition.unlock() }
        while queue.isEmpty && !finished && !cancelled { condition.wait() }
        if !queue.isEmpty {
            let b = queue.removeFirst()
            queuedBytes -= b.byteCount
            condition.broadcast()
            return b
        }
        if let failure { throw failure }
        return nil
    }

    func close() {
        condition.lock(); cancelled = true; queue.removeAll(); queuedBytes = 0; condition.broadcast(); condition.unlock()
    }

    deinit { close() }
}
