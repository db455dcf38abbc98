import Foundation
import Strata
import StrataUtilities

/// What a `RecordBatchSource` reads: which records of a `StreamSource` (a train or validation
/// split, or all of them) and what of each (stored layers by position, or one auxiliary vector).
///
/// Selection index `k` is source record `records[k]`. `shards` pins the selection for exact resume:
/// one virtual shard whose checksum combines the source's shard fingerprint with a hash of
/// `records`, so a stream state saved over other data or another split fails with
/// `StreamError.datasetChanged` instead of silently reading different records.
public struct RecordSelection: Sendable {
    /// What is read of each record.
    public enum Content: Sendable, Equatable {
        /// Hidden states of these stored layers, in this order.
        case layers([LayerPosition])
        /// One auxiliary per-record vector (e.g. the logit baseline's next-token log-probabilities).
        case auxiliary(String)
    }

    public let records: [Int]
    public let content: Content
    /// The virtual shard the epoch order, rank partition and saved stream states are planned over.
    public let shards: [ShardSummary]

    /// `records` of `source` (nil = all, in order).
    public init(source: StreamSource, records: [Int]? = nil, content: Content) {
        let total = source.streamShards.reduce(0) { $0 + $1.records }
        let records = records ?? Array(0..<total)
        self.init(records: records, content: content, shards: Self.shards(of: source, total: total, records: records))
    }

    /// A selection whose records stand in for another selection's (a cache of values derived from
    /// them, in the same order): it keeps that selection's `shards`, so epoch orders and saved
    /// states are interchangeable between the two.
    public init(standingInFor other: RecordSelection, content: Content) {
        self.init(records: Array(0..<other.records.count), content: content, shards: other.shards)
    }

    private init(records: [Int], content: Content, shards: [ShardSummary]) {
        self.records = records
        self.content = content
        self.shards = shards
    }

    public var count: Int { records.count }

    /// The layer positions read (nil for auxiliary content).
    public var layers: [LayerPosition]? {
        if case let .layers(positions) = content { return positions }
        return nil
    }

    /// The auxiliary vector read (nil for hidden states).
    public var auxiliaryName: String? {
        if case let .auxiliary(name) = content { return name }
        return nil
    }

    private static func shards(of source: StreamSource, total: Int, records: [Int]) -> [ShardSummary] {
        var hasher = FNV1a64() // over the indices' little-endian bytes
        for r in records { hasher.feed(littleEndian: UInt64(truncatingIfNeeded: r)) }
        let hash = hasher.value
        return [
            ShardSummary(
                name: "subset-of-\(total)", records: records.count, bytes: 0,
                checksum: DatasetFingerprint.of(source.streamShards) + "/" + String(hash, radix: 16))
        ]
    }
}
