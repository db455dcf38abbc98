/// What `HiddenStateIndex` and `LayerPosition` share: a typed `Int` that cannot be passed for the other,
/// written as a bare number where the type is known (`let p: LayerPosition = 3`) and ordered by its value.
public protocol LayerNumber: RawRepresentable, Hashable, Comparable, Sendable, Codable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
where RawValue == Int, IntegerLiteralType == Int {
    init(rawValue: Int)
}

extension LayerNumber {
    public init(_ rawValue: Int) { self.init(rawValue: rawValue) }
    public init(integerLiteral value: Int) { self.init(rawValue: value) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Which of a model's hidden states: 0 = the embeddings, i = the output of block i, up to the
/// number of blocks (after the final norm). What a capture records in `LayerInfo.index`.
public struct HiddenStateIndex: LayerNumber {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "hidden state \(rawValue)" }
}

/// Where a layer sits in one dataset's stored layer list: position p reads
/// `metadata.layers[p]`, whatever hidden state that is. Readers (`StrataStream`, the batch
/// sources) select layers by position.
public struct LayerPosition: LayerNumber {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
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
