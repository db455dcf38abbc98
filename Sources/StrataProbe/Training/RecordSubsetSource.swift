import Foundation
import Strata
import StrataUtilities

/// A `StreamSource` over a subset of a dataset's records (a train or validation split), so that
/// a `StrataStream` shuffles, partitions and resumes over exactly those records. Subset index
/// `i` is dataset record `records[i]`.
///
/// It presents one virtual shard whose checksum combines the dataset's shard fingerprint with a
/// hash of the subset, so resuming a stream state against other data or another split fails
/// with `StreamError.datasetChanged` instead of silently reading different records.
public final class RecordSubsetSource: StreamSource {
    public let dataset: StrataDataset
    /// Global dataset record index of each subset position.
    public let records: [Int]
    public let streamShards: [ShardSummary]
    /// When set, decoded values are kept after their first read (`DecodedRecordCache`).
    public var cache: DecodedRecordCache?

    public init(dataset: StrataDataset, records: [Int]) {
        self.dataset = dataset
        self.records = records
        var hasher = FNV1a64()   // over the indices' little-endian bytes
        for r in records { hasher.feed(littleEndian: UInt64(truncatingIfNeeded: r)) }
        streamShards = [ShardSummary(
            name: "subset-of-\(dataset.count)", records: records.count, bytes: 0,
            checksum: DatasetFingerprint.of(dataset.streamShards) + "/" + String(hasher.value, radix: 16))]
    }

    public var streamHidden: Int { dataset.streamHidden }
    public var streamLayerCount: Int { dataset.streamLayerCount }

    private func global(_ i: Int) throws -> Int {
        guard i >= 0, i < records.count else {
            throw StreamError.invalidRequest("subset position \(i) is outside 0..<\(records.count)")
        }
        return records[i]
    }

    public func streamHeader(_ i: Int) throws -> StreamRecordHeader { try dataset.streamHeader(global(i)) }

    public func streamValues(_ i: Int, layers: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        if let cache, cache.read(i, layers: layers, into: buffer) { return }
        try dataset.streamValues(global(i), layers: layers, into: buffer)
        cache?.store(i, layers: layers, from: buffer)
    }

    public func streamAuxiliary(_ i: Int, name: String) throws -> [Float] { try dataset.streamAuxiliary(global(i), name: name) }
}
