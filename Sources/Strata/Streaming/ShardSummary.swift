import StrataUtilities

/// What identifies one shard for the purpose of planning an epoch and resuming it: its
/// name inside the dataset, record count, byte size and checksum (as the manifest states
/// them). Two datasets with equal summaries give equal epoch orders.
public struct ShardSummary: Sendable, Equatable, Codable {
    public var name: String
    public var records: Int
    public var bytes: Int
    public var checksum: String

    public init(name: String, records: Int, bytes: Int, checksum: String) {
        self.name = name
        self.records = records
        self.bytes = bytes
        self.checksum = checksum
    }
}

/// A 64-bit FNV-1a digest of an ordered list of shard summaries, printed as 16 hex digits.
/// It detects a replaced, removed, reordered or resized shard between a saved `StreamState`
/// and the dataset it is resumed on (identification, not tamper-proofing).
public enum DatasetFingerprint {
    public static func of<S: Sequence>(_ shards: S) -> String where S.Element == ShardSummary {
        var hasher = FNV1a64()
        func feed(_ text: String) {
            hasher.feed(bytes: text.utf8)
            hasher.feed(byte: 0x1F) // unit separator: "ab"+"c" differs from "a"+"bc"
        }
        for shard in shards {
            feed(shard.name)
            feed(String(shard.records))
            feed(String(shard.bytes))
            feed(shard.checksum)
        }
        let hex = String(hasher.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
