import Foundation
import Strata
import StrataUtilities

/// The one path from stored records to training and evaluation batches. A `RecordSelection`
/// (records, stored layers or an auxiliary vector) and a pass (epoch, shuffle, seed, batch size,
/// rank partition, resume state) give an order (`StreamCursor`, the epoch plan `strata stream`
/// uses), grouped into steps and budget-sized chunks (`ChunkPlan`); background workers decode each
/// chunk's records straight into its padded batch (`OrderedPipeline`, bounded in bytes).
///
/// Train, validation, eval, `features` and `layers` all read through it; an unshuffled pass over
/// a whole partition yields the records in selection order.
///
/// Memory (spec/PROBES.md §3 "Memory bound"): a chunk is at most `budget.chunkBytes`; chunks being
/// built or waiting hold at most `budget.queueBytes` (one chunk always, even if larger); with the
/// epoch cache, the waiting room shrinks to 1/20 of the data share and the cache takes 3/20.
public final class RecordBatchSource: ResumableBatchSource {
    public let source: StreamSource
    public let selection: RecordSelection
    /// Which rank of how many data-parallel ranks this process is. A training pass reads this
    /// rank's slice of every step (`StepSlices`, global batch = `batchSize`), yielding a chunk that
    /// ends each step even where the slice is empty.
    public let partition: RankPartition
    /// Background decoding threads of a pass.
    public let prefetchThreads: Int
    /// The budget chunks and the prefetch queue are sized from (see `reserve`).
    public private(set) var budget: MemoryBudget
    /// Primary label of each selected record (−1 = unlabelled), in selection order.
    public let labels: [Int]
    /// Token count of each selected record.
    public let tokenCounts: [Int]
    /// Width of the auxiliary vector read (0 for hidden states).
    public let featureWidth: Int
    private let epochCacheRequested: Bool
    private var cache: DecodedRecordCache?

    /// - Parameters:
    ///   - epochCache: keep decoded records in memory (stored dtype) after their first read when the
    ///     whole selection fits in 3/20 of the budget's data share (`MemoryBudget.dataBytes`); the
    ///     prefetch queue then shrinks from 1/5 to 1/20 of it, so the budget's bound still holds.
    public init(
        source: StreamSource, selection: RecordSelection, budget: MemoryBudget, partition: RankPartition = .whole,
        prefetchThreads: Int = 1, epochCache: Bool = false
    ) throws {
        self.source = source
        self.selection = selection
        self.budget = budget
        self.partition = partition
        self.prefetchThreads = max(1, prefetchThreads)
        epochCacheRequested = epochCache
        let layerCount = source.streamLayerCount
        for position in selection.layers ?? [] where position.rawValue < 0 || position.rawValue >= layerCount {
            throw ProbeError.invalid(
                .layerPositions, value: "\(position.rawValue)",
                "\(source.streamDescription) has layer positions 0..<\(layerCount)")
        }
        var labels: [Int] = [], counts: [Int] = []
        labels.reserveCapacity(selection.count)
        counts.reserveCapacity(selection.count)
        for r in selection.records {
            let header = try source.streamHeader(r)
            labels.append(header.labels.first ?? -1)
            counts.append(header.nTokens)
        }
        self.labels = labels
        tokenCounts = counts
        if let name = selection.auxiliaryName, let first = selection.records.first {
            featureWidth = try source.streamAuxiliaryWidth(name) ?? source.streamAuxiliary(first, name: name).count
        } else {
            featureWidth = 0
        }
        try checkLongestRecordFits(reserved: nil)
        configureCache()
    }

    /// Reads `records` of `dataset` (nil = all): the stored layers at `layers` (nil = every one), or
    /// the auxiliary vector `featureName` instead of hidden states.
    public convenience init(
        dataset: StrataDataset, records: [Int]? = nil, layers: [LayerPosition]?, featureName: String? = nil,
        budget: MemoryBudget, partition: RankPartition = .whole, prefetchThreads: Int = 1,
        epochCache: Bool = false
    ) throws {
        let meta = dataset.metadata
        let content: RecordSelection.Content
        if let featureName {
            guard meta.auxiliary.contains(where: { $0.name == featureName }) else {
                throw ProbeError.missingAuxiliary(dataset: dataset.path, name: featureName, available: meta.auxiliary.map(\.name))
            }
            content = .auxiliary(featureName)
        } else {
            content = .layers(layers ?? (0..<meta.layers.count).map { LayerPosition($0) })
        }
        try self.init(
            source: dataset, selection: RecordSelection(source: dataset, records: records, content: content), budget: budget,
            partition: partition, prefetchThreads: prefetchThreads, epochCache: epochCache)
    }

    /// All selected records (every rank).
    public var count: Int { selection.count }
    /// Records per epoch across all ranks.
    public var recordsPerEpoch: Int { selection.count }
    /// Tokens of the longest record (0 when there is none).
    public var longestRecord: Int { tokenCounts.max() ?? 0 }
    /// Whether decoded records are kept in memory after their first read.
    public var cachesEpochs: Bool { cache != nil }
    /// Bytes the epoch cache holds so far (0 without one).
    public var epochCacheBytes: Int { cache?.storedBytes ?? 0 }

    /// Sets `footprint`'s bytes aside from the budget (the probe's parameters, gradients, optimizer
    /// state and workspaces); chunks, the queue and the epoch cache are sized from what remains.
    /// - Throws: `ProbeError.invalidSetting` (the memory budget) when the longest record no longer fits in a chunk.
    public func reserve(_ footprint: TrainingFootprint) throws {
        budget.reservedBytes = footprint.bytes
        try checkLongestRecordFits(reserved: footprint)
        configureCache()
    }

    private func configureCache() {
        guard epochCacheRequested, let layers = selection.layers else { cache = nil; return }
        // Every rank's share differs per epoch, so the whole selection must fit.
        let need = DecodedRecordCache.byteCount(
            tokenCounts: tokenCounts, layers: layers.count, hidden: source.streamHidden,
            dtype: source.streamDType)
        if need > budget.dataBytes * 3 / 20 {
            cache = nil
        } else if cache == nil {
            cache = DecodedRecordCache(records: selection.count, dtype: source.streamDType)
        }
    }

    private func checkLongestRecordFits(reserved footprint: TrainingFootprint?) throws {
        guard let layers = selection.layers, !tokenCounts.isEmpty else { return }
        let need = recordBytes(tokens: longestRecord)
        guard need > budget.chunkBytes else { return }
        let shape =
            "the longest record (\(longestRecord) tokens × \(layers.count) layers × \(source.streamHidden)) needs \(need >> 20)MB as f32"
        guard let footprint else {
            throw ProbeError.invalid(
                .memoryBudget, value: budget.description,
                "\(shape); the budget must be at least 5× that (\((need * 5) >> 20)MB)")
        }
        let least = (footprint.bytes + need * 5 + (1 << 20) - 1) >> 20
        throw ProbeError.invalid(
            .memoryBudget, value: budget.description,
            "the probe's training state takes \(footprint) of it, and \(shape), a fifth of what is left; the budget must be at least \(least)MB (fewer worker threads need less)"
        )
    }

    /// Padded f32 bytes of one record with `tokens` tokens.
    func recordBytes(tokens: Int) -> Int {
        if let layers = selection.layers { return tokens * (layers.count * source.streamHidden * 4 + 1) }
        return featureWidth * 4
    }

    public func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream {
        try makePass(epoch: epoch, shuffle: shuffle, seed: seed, batchSize: batchSize, partition: partition, resume: nil)
    }

    public func makeResumableStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, resume: StreamState?) throws
        -> ResumableBatchStream
    {
        try makePass(epoch: epoch, shuffle: shuffle, seed: seed, batchSize: batchSize, partition: partition, resume: resume)
    }

    /// One pass: `partition`'s slice of every step of epoch `epoch`'s order (shuffled by (`seed`,
    /// `epoch`), or selection order), from the start or from where `resume` left off. With
    /// `fillsEpochCache` false a pass reads the epoch cache but does not add to it (a one-off pass,
    /// such as computing pooled features, must not fill a cache no epoch will read).
    public func makePass(
        epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, partition: RankPartition,
        resume: StreamState?, fillsEpochCache: Bool = true
    ) throws -> RecordBatchStream {
        let slices = try StepSlices(partition: partition, globalBatch: max(1, batchSize))
        let stepBatch = partition.world > 1 ? slices.globalBatch : nil
        let steps = try StepCounter.completedSteps(resume, slices: slices, total: count)
        let cursor: StreamCursor
        if let saved = resume {
            let state = StepCounter.rankState(saved, slices: slices, steps: steps)
            try StreamCursor.check(
                state, seed: seed, epoch: epoch, rank: partition.rank, world: partition.world, shuffle: shuffle,
                stepBatch: .some(stepBatch))
            cursor = try StreamCursor(resuming: state, shards: selection.shards)
        } else {
            cursor = try StreamCursor(
                shards: selection.shards, seed: seed, epoch: epoch, shuffle: shuffle, partition: partition,
                stepBatch: stepBatch)
        }
        let plan = try ChunkPlan(
            cursor: cursor, steps: StepCounter(slices: slices, total: count, startStep: steps),
            tokenCounts: tokenCounts, chunkBytes: budget.chunkBytes, recordBytes: recordBytes(tokens:))
        let queue = max(1, cache == nil ? budget.queueBytes : budget.dataBytes / 20)
        return RecordBatchStream(
            reader: ChunkReader(self, fillsCache: fillsEpochCache), plan: plan, cursor: cursor, startSteps: steps, threads: prefetchThreads,
            budget: queue)
    }

    /// Decodes chunks into padded batches (runs on the pass's workers; thread-safe).
    struct ChunkReader: @unchecked Sendable {
        let source: StreamSource
        let records: [Int]
        let layers: [Int]?
        let auxiliaryName: String?
        let labels: [Int]
        let tokenCounts: [Int]
        let featureWidth: Int
        let cache: DecodedRecordCache?
        let fillsCache: Bool

        init(_ owner: RecordBatchSource, fillsCache: Bool) {
            self.fillsCache = fillsCache
            source = owner.source
            records = owner.selection.records
            layers = owner.selection.layers?.rawValues
            auxiliaryName = owner.selection.auxiliaryName
            labels = owner.labels
            tokenCounts = owner.tokenCounts
            featureWidth = owner.featureWidth
            cache = owner.cache
        }

        /// Padded bytes of a chunk (what it reserves while built and queued).
        func byteCount(_ slots: [Int]) -> Int {
            if auxiliaryName != nil { return slots.count * featureWidth * 4 }
            return PaddedBatchBuilder.byteCount(
                tokenCounts: slots.map { tokenCounts[$0] }, layers: layers?.count ?? 0,
                hidden: source.streamHidden)
        }

        func build(_ slots: [Int], endsStep: Bool, scratch: inout [Float]) throws -> Batch {
            let hidden = source.streamHidden
            if let name = auxiliaryName {
                var builder = PaddedBatchBuilder(
                    tokenCounts: slots.map { _ in 0 }, layers: 0, hidden: hidden,
                    featureWidth: featureWidth, endsStep: endsStep)
                for (slot, k) in slots.enumerated() {
                    let g = records[k]
                    let v = try source.streamAuxiliary(g, name: name)
                    guard v.count == featureWidth else {
                        throw ProbeError.invalidData(
                            source: source.streamDescription, record: "\(g)",
                            reason: "auxiliary '\(name)' has \(v.count) values, expected \(featureWidth)")
                    }
                    builder.setFeatures(slot: slot, v)
                    builder.setLabel(slot: slot, labels[k], id: try source.streamHeader(g).id)
                }
                return builder.batch
            }
            let layerCount = layers?.count ?? 0
            var builder = PaddedBatchBuilder(
                tokenCounts: slots.map { tokenCounts[$0] }, layers: layerCount, hidden: hidden,
                endsStep: endsStep)
            let longest = builder.batch.tokens
            for (slot, k) in slots.enumerated() {
                let g = records[k], n = tokenCounts[k]
                let total = layerCount * n * hidden
                if total > 0 {
                    if n == longest || layerCount == 1 {
                        // The record's rows are contiguous in the padded batch: decode straight into it.
                        let offset = builder.valueOffset(slot: slot, layer: 0)
                        try builder.withValues { values in
                            try read(k, global: g, into: UnsafeMutableBufferPointer(rebasing: values[offset..<offset + total]))
                        }
                    } else {
                        if scratch.count < total { scratch = [Float](repeating: 0, count: total) }
                        try scratch.withUnsafeMutableBufferPointer { buffer in
                            let view = UnsafeMutableBufferPointer(rebasing: buffer[0..<total])
                            try read(k, global: g, into: view)
                            builder.setValues(slot: slot, from: UnsafeBufferPointer(view), tokens: n)
                        }
                    }
                }
                builder.setLabel(slot: slot, labels[k], id: try source.streamHeader(g).id)
            }
            return builder.batch
        }

        /// Record `k`'s values (layer-major), from the epoch cache when it holds them.
        private func read(_ k: Int, global g: Int, into buffer: UnsafeMutableBufferPointer<Float>) throws {
            if let cache, cache.read(k, layers: layers, into: buffer) { return }
            try source.streamValues(g, layers: layers, into: buffer)
            if fillsCache { cache?.store(k, layers: layers, from: buffer) }
        }
    }
}
