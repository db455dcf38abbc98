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

    public init(
        id: String, labels: [Int], nTokens: Int, tokenIDs: [Int32], text: String?, metadata: [String: String],
        storedBytes: Int, rawBytes: Int, blockCount: Int
    ) {
        self.id = id
        self.labels = labels
        self.nTokens = nTokens
        self.tokenIDs = tokenIDs
        self.text = text
        self.metadata = metadata
        self.storedBytes = storedBytes
        self.rawBytes = rawBytes
        self.blockCount = blockCount
    }
}
