/// The keys and values of every block for the tokens a sequence has seen so far, so that generation
/// computes each new token against the cached prefix instead of re-running the whole sequence.
///
/// Per block, keys and values are `[capacity × keyValueWidth]` row-major f32, already rotated (RoPE)
/// for keys. The cache also holds the RoPE tables for positions `0..<capacity`. One cache serves one
/// sequence; `reset()` empties it for the next.
public final class KVCache: @unchecked Sendable {
    /// Most tokens (prompt + generated) the cache can hold.
    public let capacity: Int
    /// Tokens cached so far; the next token goes to position `count`.
    public private(set) var count = 0
    let keys: [FloatBuffer]
    let values: [FloatBuffer]
    /// RoPE tables for positions `0..<capacity`, one per embedding of the model's `BlockRotaries`.
    let rotaryTables: [RotaryTables]
    let keyValueWidth: Int

    /// An empty cache for `model` holding up to `capacity` tokens.
    public init(model: LlamaModel, capacity: Int) throws {
        guard capacity > 0 else { throw LlamaError.invalidInput("a KV cache needs a positive capacity, got \(capacity)") }
        let config = model.config
        self.capacity = capacity
        keyValueWidth = config.keyValueWidth
        keys = (0..<config.blockCount).map { _ in FloatBuffer(count: capacity * config.keyValueWidth) }
        values = (0..<config.blockCount).map { _ in FloatBuffer(count: capacity * config.keyValueWidth) }
        rotaryTables = model.rotaries.tables(positions: capacity)
    }

    /// Forgets every cached token (the buffers are kept).
    public func reset() { count = 0 }

    /// Bytes held by the cache's buffers.
    public var byteCount: Int {
        (keys.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.count }
            + rotaryTables.reduce(0) { $0 + $1.cosines.count + $1.sines.count }) * 4
    }

    /// Marks `tokens` more positions as filled (called by the model after writing them).
    func advance(by tokens: Int) { count += tokens }
}
