/// Which of a model's hidden states: 0 = the embeddings, i = the output of block i, up to the
/// number of blocks (after the final norm). What a capture records in `LayerInfo.index`.
public struct HiddenStateIndex: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByIntegerLiteral, CustomStringConvertible
{
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public init(integerLiteral value: Int) { rawValue = value }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "hidden state \(rawValue)" }
}

/// Where a layer sits in one dataset's stored layer list: position p reads
/// `metadata.layers[p]`, whatever hidden state that is. Readers (`StrataStream`, the batch
/// sources) select layers by position.
public struct LayerPosition: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    ExpressibleByIntegerLiteral, CustomStringConvertible
{
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public init(integerLiteral value: Int) { rawValue = value }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "layer position \(rawValue)" }
}

extension Array where Element == LayerPosition {
    /// The bare positions, for the shard reader's per-record calls.
    public var rawValues: [Int] { map(\.rawValue) }
}

extension StrataMetadata {
    /// The position of hidden state `index` in this dataset's layer list, nil when it was not captured.
    public func position(of index: HiddenStateIndex) -> LayerPosition? {
        layers.firstIndex { $0.index == index.rawValue }.map { LayerPosition($0) }
    }

    /// The hidden state stored at `position` (which must be in 0 ..< layers.count).
    public func hiddenStateIndex(at position: LayerPosition) -> HiddenStateIndex {
        HiddenStateIndex(layers[position.rawValue].index)
    }
}
