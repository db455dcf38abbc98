/// Summary of one record, available without decoding values.
public struct RecordInfo: Sendable, Equatable {
    public var id: String
    public var labels: [Int]
    public var nTokens: Int
    public var tokenIDs: [Int32]
    public var text: String?
    public var metadata: [String: String]
    /// Compressed payload bytes of the record's blocks (block headers excluded).
    public var storedBytes: Int
    /// Uncompressed payload bytes (layers × tokens × hidden × element width).
    public var rawBytes: Int
    /// Number of blocks the record's values are split into.
    public var blockCount: Int
}
