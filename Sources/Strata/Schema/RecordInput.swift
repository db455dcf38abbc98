/// One record to append.
public struct RecordInput: Sendable {
    public var id: String
    /// Empty = unlabelled; labels[0] is the primary label.
    public var labels: [Int]
    /// count == number of tokens.
    public var tokenIDs: [Int32]
    public var text: String?
    public var metadata: [String: String]
    /// name -> vector; must match the shard metadata's `auxiliary` declarations.
    public var auxiliary: [String: [Float]]

    public init(
        id: String, labels: [Int] = [], tokenIDs: [Int32], text: String? = nil,
        metadata: [String: String] = [:], auxiliary: [String: [Float]] = [:]
    ) {
        self.id = id
        self.labels = labels
        self.tokenIDs = tokenIDs
        self.text = text
        self.metadata = metadata
        self.auxiliary = auxiliary
    }
}
