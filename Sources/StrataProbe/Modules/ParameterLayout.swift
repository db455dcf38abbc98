/// Where each named parameter lives inside a probe's single flat f32 parameter vector.
///
/// One flat vector keeps AdamW, gradient clipping, per-thread gradient reduction and checkpoints
/// trivial; modules only remember their offsets.
public struct ParameterLayout: Codable, Sendable, Equatable {
    /// One named parameter tensor.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        /// Whether AdamW's decoupled weight decay applies (matrices yes; biases and scales no).
        public var decays: Bool
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var totalCount = 0

    public init() {}

    /// Reserves a parameter and returns its offset.
    mutating func add(_ name: String, shape: [Int], decays: Bool = true) -> Int {
        let offset = totalCount
        entries.append(Entry(name: name, shape: shape, offset: offset, decays: decays))
        totalCount += shape.reduce(1, *)
        return offset
    }
}
