import Dispatch
import Foundation
import Strata

/// Batches of precomputed head inputs for probes with nothing trainable below the head
/// (pooling, last-token, mean-last, logits): the token and layer stages are fixed functions of
/// a record, so they run once over the split (one decoding pass) and every epoch then trains
/// the head on the stored d-wide vectors — the same math as decoding and pooling every epoch.
///
/// Epoch order, rank partition and resume state are those of `StreamBatchSource` over the
/// same split (the same `StreamCursor` over the same virtual shard), so a run can switch
/// between the two paths and resume either from the other's state.
public final class PooledFeatureSource: ResumableBatchSource {
    public let ids: [String]
    public let labels: [Int]
    /// count × width head inputs, in split order.
    public let features: [Float]
    public let width: Int
    public let partition: RankPartition
    private let shards: [ShardSummary]

    /// Bytes the features of `records` records need for `probe`.
    public static func byteCount(records: Int, probe: Probe) -> Int { records * probe.headInputWidth * 4 }

    /// Runs `probe`'s token and layer stages over every record of `base` (in split order).
    /// - Throws: `ProbeError.invalidOption` when the probe trains parameters below its head.
    public init(probe: Probe, base: DatasetBatchSource, rank: Int = 0, world: Int = 1, workers: Int? = nil) throws {
        guard probe.isHeadOnly else {
            throw ProbeError.invalidOption(name: "--feature-cache", value: probe.configuration.kind.rawValue,
                                           reason: "only probes without trainable parameters below the head can train on precomputed features")
        }
        partition = try RankPartition(rank: rank, world: world)
        shards = RecordSubsetSource(dataset: base.dataset, records: base.records).streamShards
        width = probe.headInputWidth
        var ids: [String] = [], features = [Float]()
        ids.reserveCapacity(base.count)
        features.reserveCapacity(base.count * width)
        let stream = try base.makeStream(epoch: 0, shuffle: false, seed: 0, batchSize: 64)
        defer { stream.close() }
        while let batch = try stream.next() {
            ids += batch.ids
            features += try probe.headInputs(batch: batch, workers: workers)
        }
        self.ids = ids
        self.labels = base.labels
        self.features = features
    }

    public var count: Int { ids.count }
    /// Records per epoch across all ranks.
    public var recordsPerEpoch: Int { count }

    public func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream {
        try makeResumableStream(epoch: epoch, shuffle: shuffle, seed: seed, batchSize: batchSize, resume: nil)
    }

    public func makeResumableStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, resume: StreamState?) throws -> ResumableBatchStream {
        let slices = try StepSlices(partition: partition, globalBatch: max(1, batchSize))
        let stepBatch = partition.world > 1 ? slices.globalBatch : nil
        let steps = try StepCounter.completedSteps(resume, slices: slices, total: count)
        let cursor: StreamCursor
        if let saved = resume {
            let resume = StepCounter.rankState(saved, slices: slices, steps: steps)
            try StreamCursor.check(resume, seed: seed, epoch: epoch, rank: partition.rank, world: partition.world, shuffle: shuffle,
                                   stepBatch: .some(stepBatch))
            cursor = try StreamCursor(resuming: resume, shards: shards)
        } else {
            cursor = try StreamCursor(shards: shards, seed: seed, epoch: epoch, shuffle: shuffle, partition: partition,
                                      stepBatch: stepBatch)
        }
        return Stream(source: self, cursor: cursor, steps: StepCounter(slices: slices, total: count, startStep: steps))
    }

    private final class Stream: ResumableBatchStream {
        let source: PooledFeatureSource
        var cursor: StreamCursor
        var steps: StepCounter

        init(source: PooledFeatureSource, cursor: StreamCursor, steps: StepCounter) {
            self.source = source; self.cursor = cursor; self.steps = steps
        }

        var state: StreamState {
            var s = cursor.state
            if s.stepBatch != nil { s.steps = steps.step }
            return s
        }

        func next() throws -> Batch? {
            let w = source.width
            guard !steps.isFinished else { return nil }
            var rows: [Int] = []
            if steps.leftInStep == 0 {
                steps.finishStep()
            } else {
                while true {
                    guard let i = cursor.next() else {
                        throw ProbeError.invalidData(source: "pooled features", record: nil,
                                                     reason: "the epoch ended with \(steps.leftInStep) records of step \(steps.step + 1) still to come")
                    }
                    rows.append(i)
                    if steps.take() { break }
                }
            }
            var features = [Float](repeating: 0, count: rows.count * w)
            features.withUnsafeMutableBufferPointer { dst in
                source.features.withUnsafeBufferPointer { src in
                    for (slot, i) in rows.enumerated() {
                        (dst.baseAddress! + slot * w).update(from: src.baseAddress! + i * w, count: w)
                    }
                }
            }
            return Batch(count: rows.count, layers: 0, tokens: 0, hidden: 0, values: [], mask: [],
                         labels: rows.map { source.labels[$0] }, ids: rows.map { source.ids[$0] },
                         featureWidth: w, features: features, endsStep: true)
        }

        func close() {}
    }
}
