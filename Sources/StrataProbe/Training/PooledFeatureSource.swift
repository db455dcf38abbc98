import Dispatch
import Foundation
import Strata
import StrataUtilities

/// Batches of precomputed head inputs for probes with nothing trainable below the head
/// (pooling, last-token, mean-last, logits): the token and layer stages are fixed functions of
/// a record, so they run once over the split (one decoding pass) and every epoch then trains
/// the head on the stored d-wide vectors — the same math as decoding and pooling every epoch.
///
/// The vectors are a `StreamSource` read through the same `RecordBatchSource` path, with a
/// selection standing in for the base's: epoch order, rank partition and resume state are those
/// of the base, so a run can switch between the two and resume either from the other's state.
public final class PooledFeatureSource: ResumableBatchSource {
    public let ids: [String]
    public let labels: [Int]
    /// count × width head inputs, in split order.
    public let features: [Float]
    public let width: Int
    private let reader: RecordBatchSource

    /// Bytes the features of `records` records need for `probe`.
    public static func byteCount(records: Int, probe: Probe) -> Int { records * probe.headInputWidth * 4 }

    /// Runs `probe`'s token and layer stages over every record of `base` (in selection order, all
    /// ranks' records); epochs are then read with `base`'s partition.
    /// - Throws: `ProbeError.invalidSetting` when the probe trains parameters below its head.
    public init(probe: Probe, base: RecordBatchSource, workers: Int? = nil) throws {
        guard probe.isHeadOnly else {
            throw ProbeError.invalid(
                .probeKind, value: probe.configuration.kind.rawValue,
                "only probes without trainable parameters below the head can train on precomputed features")
        }
        width = probe.headInputWidth
        var ids: [String] = [], features = [Float]()
        ids.reserveCapacity(base.count)
        features.reserveCapacity(base.count * width)
        let stream = try base.makePass(
            epoch: 0, shuffle: false, seed: 0, batchSize: 64, partition: .whole, resume: nil,
            fillsEpochCache: false)
        defer { stream.close() }
        while let batch = try stream.next() {
            ids += batch.ids
            features += try probe.headInputs(batch: batch, workers: workers)
        }
        self.ids = ids
        self.labels = base.labels
        self.features = features
        let store = PooledFeatureStore(ids: ids, labels: labels, features: features, width: width)
        reader = try RecordBatchSource(
            source: store, selection: RecordSelection(standingInFor: base.selection, content: .auxiliary(PooledFeatureStore.name)),
            budget: base.budget, partition: base.partition)
    }

    public var count: Int { ids.count }
    /// Records per epoch across all ranks.
    public var recordsPerEpoch: Int { count }
    public var partition: RankPartition { reader.partition }

    public func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream {
        try reader.makeStream(epoch: epoch, shuffle: shuffle, seed: seed, batchSize: batchSize)
    }

    public func makeResumableStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, resume: StreamState?) throws
        -> ResumableBatchStream
    {
        try reader.makeResumableStream(epoch: epoch, shuffle: shuffle, seed: seed, batchSize: batchSize, resume: resume)
    }
}

/// Pooled head inputs as a `StreamSource`: record i has no tokens and one auxiliary vector.
private final class PooledFeatureStore: StreamSource {
    static let name = "pooled"
    let ids: [String]
    let labels: [Int]
    let features: [Float]
    let width: Int

    init(ids: [String], labels: [Int], features: [Float], width: Int) {
        self.ids = ids; self.labels = labels; self.features = features; self.width = width
    }

    var streamShards: [ShardSummary] { [ShardSummary(name: "pooled-features", records: ids.count, bytes: 0, checksum: "")] }
    var streamHidden: Int { 0 }
    var streamLayerCount: Int { 0 }
    var streamDescription: String { "pooled features" }

    func streamHeader(_ i: Int) throws -> StreamRecordHeader {
        guard i >= 0, i < ids.count else { throw StreamError.invalidRequest("record \(i) is outside 0..<\(ids.count)") }
        return StreamRecordHeader(id: ids[i], labels: labels[i] >= 0 ? [labels[i]] : [], nTokens: 0)
    }

    func streamValues(_ i: Int, layers: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        throw StreamError.invalidRequest("pooled features hold no hidden states")
    }

    func streamAuxiliary(_ i: Int, name: String) throws -> [Float] {
        guard i >= 0, i < ids.count else { throw StreamError.invalidRequest("record \(i) is outside 0..<\(ids.count)") }
        return Array(features[i * width..<(i + 1) * width])
    }

    func streamAuxiliaryWidth(_ name: String) -> Int? { width }
}
