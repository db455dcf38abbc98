/// What `StrataStream` needs from a dataset: its shard list (for planning and resume), the
/// value shape, and thread-safe per-record reads by global index. `StrataDataset` conforms;
/// tests use in-memory sources.
///
/// Implementations must allow concurrent calls from the prefetch threads.
public protocol StreamSource: AnyObject {
    /// The dataset's shards, in manifest order.
    var streamShards: [ShardSummary] { get }
    /// Hidden size of every record.
    var streamHidden: Int { get }
    /// Number of captured layers (positions 0 ..< streamLayerCount).
    var streamLayerCount: Int { get }
    /// Id, labels and token count of record `global`, without decoding values.
    func streamHeader(_ global: Int) throws -> StreamRecordHeader
    /// Values of record `global` as f32, layer-major (the `layers` positions in the order
    /// given, nil = all) × tokens × hidden, into a buffer of exactly that size.
    func streamValues(_ global: Int, layers: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) throws
    /// An auxiliary per-record vector (e.g. "next_token_logprobs").
    func streamAuxiliary(_ global: Int, name: String) throws -> [Float]
    /// How errors name the source (a dataset's path). Default: "stream source".
    var streamDescription: String { get }
    /// The stored dtype (what a cache of decoded values keeps exactly). Default: f32.
    var streamDType: StrataDType { get }
    /// The declared length of auxiliary vector `name`; nil (the default) when not declared.
    func streamAuxiliaryWidth(_ name: String) -> Int?
}

extension StreamSource {
    public var streamDescription: String { "stream source" }
    public var streamDType: StrataDType { .f32 }
    public func streamAuxiliaryWidth(_ name: String) -> Int? { nil }
}

/// The part of a record known before its values are decoded.
public struct StreamRecordHeader: Sendable, Equatable {
    public var id: String
    public var labels: [Int]
    public var nTokens: Int

    public init(id: String, labels: [Int], nTokens: Int) {
        self.id = id
        self.labels = labels
        self.nTokens = nTokens
    }
}
