import Foundation
import Strata

/// A batch source whose passes can be saved and resumed exactly: at a step boundary the
/// stream's `state` says which records of the epoch were consumed.
public protocol ResumableBatchSource: BatchSource {
    /// Records of one epoch across all ranks: the steps per epoch follow from it and the global batch.
    var recordsPerEpoch: Int { get }
    /// Which rank of how many data-parallel ranks this process is. With more than one, each pass
    /// reads this rank's slice of every step (`StepSlices`, global batch = `batchSize`), yielding a
    /// chunk that ends each step even where the slice is empty.
    var partition: RankPartition { get }
    /// A pass over epoch `epoch`, starting where `resume` left off (nil = from the start).
    func makeResumableStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, resume: StreamState?) throws -> ResumableBatchStream
}

/// A pass whose position can be saved.
public protocol ResumableBatchStream: BatchStream {
    /// Records consumed so far (exact at step boundaries, i.e. after a chunk with `endsStep`).
    var state: StreamState { get }
}

/// Training batches read through `StrataStream`: per-epoch seeded permutation of the records of
/// a split, (rank, world) partitioning (each rank reads its slice of every step, `StepSlices`), a
/// prefetcher bounded by the memory budget, and exact resume from a saved `StreamState`.
///
/// Record selection, label and budget checks come from a `DatasetBatchSource` (`base`); this
/// type only replaces how records are ordered, partitioned and read.
public final class StreamBatchSource: ResumableBatchSource {
    public let base: DatasetBatchSource
    public let partition: RankPartition
    public let subset: RecordSubsetSource
    /// Background decoding threads of the stream.
    public let prefetchThreads: Int

    /// - Parameters:
    ///   - rank, world: this process reads its slice of every step of each epoch's order (`StepSlices`).
    ///   - epochCache: keep this rank's decoded records in memory (stored dtype) after the first
    ///     epoch when they fit in 3/20 of the budget's data share (`MemoryBudget.dataBytes`); the
    ///     prefetch queue then shrinks from 1/5 to 1/20 of it, so the budget's bound still holds.
    public init(base: DatasetBatchSource, rank: Int = 0, world: Int = 1, prefetchThreads: Int = 1, epochCache: Bool = false) throws {
        self.base = base
        partition = try RankPartition(rank: rank, world: world)
        subset = RecordSubsetSource(dataset: base.dataset, records: base.records)
        self.prefetchThreads = max(1, prefetchThreads)
        if epochCache, base.featureName == nil {
            // Every rank's share differs per epoch, so the whole split must fit.
            let need = DecodedRecordCache.byteCount(tokenCounts: base.tokenCounts, layers: base.layers?.count ?? 0,
                                                    hidden: base.dataset.metadata.hidden, dtype: base.dataset.metadata.dtype)
            if need <= base.budget.dataBytes * 3 / 20 {
                subset.cache = DecodedRecordCache(records: base.count, dtype: base.dataset.metadata.dtype)
            }
        }
    }

    /// Whether decoded records are kept in memory after their first read.
    public var cachesEpochs: Bool { subset.cache != nil }

    /// All records of the split (every rank).
    public var count: Int { base.count }
    public var labels: [Int] { base.labels }
    /// Records per epoch across all ranks.
    public var recordsPerEpoch: Int { base.count }

    public func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream {
        try makeResumableStream(epoch: epoch, shuffle: shuffle, seed: seed, batchSize: batchSize, resume: nil)
    }

    public func makeResumableStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, resume: StreamState?) throws -> ResumableBatchStream {
        var options = StreamOptions()
        options.seed = seed
        options.epoch = epoch
        options.shuffle = shuffle
        options.rank = partition.rank
        options.world = partition.world
        let slices = try StepSlices(partition: partition, globalBatch: max(1, batchSize))
        if partition.world > 1 { options.stepBatch = slices.globalBatch }
        let steps = try StepCounter.completedSteps(resume, slices: slices, total: base.count)
        if let name = base.featureName {
            options.layers = .none
            options.auxiliary = [name]
        } else {
            options.layers = .positions(base.layers ?? [])
        }
        options.prefetchBytes = max(1, subset.cache == nil ? base.budget.queueBytes : base.budget.dataBytes / 20)
        options.prefetchThreads = prefetchThreads
        let stream = try StrataStream(source: subset, options: options,
                                      resume: resume.map { StepCounter.rankState($0, slices: slices, steps: steps) })
        return StreamBatchStream(stream: stream, base: base, steps: StepCounter(slices: slices, total: base.count, startStep: steps))
    }
}

/// Groups streamed records into logical minibatches (this rank's slice of each step), split into
/// chunks that fit the budget's chunk size (the same rule as `DatasetBatchSource.plan`).
final class StreamBatchStream: ResumableBatchStream {
    private let stream: StrataStream
    private let base: DatasetBatchSource
    private var steps: StepCounter
    /// A record taken from the stream that did not fit the previous chunk.
    private var pending: StreamedRecord?

    init(stream: StrataStream, base: DatasetBatchSource, steps: StepCounter) {
        self.stream = stream
        self.base = base
        self.steps = steps
    }

    var state: StreamState {
        var s = stream.state
        if pending != nil { s.position -= 1 }
        if s.stepBatch != nil { s.steps = steps.step }
        return s
    }

    func next() throws -> Batch? {
        guard !steps.isFinished else { return nil }
        if steps.leftInStep == 0 {
            steps.finishStep()
            var nothing: [StreamedRecord] = []
            return try build(&nothing, endsStep: true)
        }
        var chunk: [StreamedRecord] = []
        var longest = 0
        while true {
            guard let record = try pending ?? stream.next() else {
                throw ProbeError.invalidData(source: base.dataset.path, record: nil,
                                             reason: "the stream ended with \(steps.leftInStep) records of step \(steps.step + 1) still to come")
            }
            pending = nil
            let newLongest = max(longest, record.nTokens)
            if !chunk.isEmpty && base.recordBytes(tokens: newLongest) * (chunk.count + 1) > base.budget.chunkBytes {
                pending = record
                return try build(&chunk, endsStep: false)
            }
            chunk.append(record)
            longest = newLongest
            if steps.take() { return try build(&chunk, endsStep: true) }
        }
    }

    /// Pads `chunk` into a batch, releasing each record's values once copied.
    private func build(_ chunk: inout [StreamedRecord], endsStep: Bool) throws -> Batch {
        let hidden = stream.source.streamHidden
        if let name = base.featureName {
            var builder = PaddedBatchBuilder(tokenCounts: chunk.map { _ in 0 }, layers: 0, hidden: hidden,
                                             featureWidth: base.featureWidth, endsStep: endsStep)
            for slot in chunk.indices {
                let r = chunk[slot]
                guard let v = r.auxiliary[name], v.count == base.featureWidth else {
                    throw ProbeError.invalidData(source: base.dataset.path, record: r.id,
                                                 reason: "auxiliary '\(name)' has \(r.auxiliary[name]?.count ?? 0) values, expected \(base.featureWidth)")
                }
                builder.setFeatures(slot: slot, v)
                builder.setLabel(slot: slot, r.labels.first ?? -1, id: r.id)
            }
            return builder.batch
        }
        let layerCount = base.layers?.count ?? 0
        var builder = PaddedBatchBuilder(tokenCounts: chunk.map(\.nTokens), layers: layerCount, hidden: hidden, endsStep: endsStep)
        for slot in chunk.indices {
            let (n, label, id) = (chunk[slot].nTokens, chunk[slot].labels.first ?? -1, chunk[slot].id)
            guard chunk[slot].values.count == layerCount * n * hidden else {
                throw ProbeError.invalidData(source: base.dataset.path, record: id, reason: "stream delivered \(chunk[slot].values.count) values, expected \(layerCount * n * hidden)")
            }
            if n > 0 { chunk[slot].values.withUnsafeBufferPointer { builder.setValues(slot: slot, from: $0, tokens: n) } }
            chunk[slot].values = []
            builder.setLabel(slot: slot, label, id: id)
        }
        return builder.batch
    }

    func close() { stream.close() }
}
