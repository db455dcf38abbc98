/// One sequence of a packed forward pass: its token ids and, for generation, the KV cache they continue.
///
/// Without a cache the tokens are a whole text (positions `0...`, attention over its own rows only, nothing
/// kept). With a cache they continue the sequence the cache holds (positions `cache.count...`): their keys
/// and values are appended to the cache, they attend to everything cached before them, and the pass returns
/// the output logits at their last position (`ForwardResult.nextLogits`). A prefill is the first such pass
/// on an empty cache; a decode step passes one token.
public struct PackedSequence {
    public var tokens: [Int32]
    public var cache: KVCache?

    public init(tokens: [Int32], cache: KVCache? = nil) {
        self.tokens = tokens
        self.cache = cache
    }
}

/// The row layout of a packed batch: sequences concatenated, with per-row positions.
struct PackedBatch {
    /// All token ids, sequence after sequence.
    let tokens: [Int32]
    /// Position of every row within its own sequence (a cached sequence's rows start at its cache's length).
    let positions: [Int32]
    /// First row of each sequence.
    let offsets: [Int]
    /// Number of new tokens of each sequence.
    let lengths: [Int]
    /// Position of each sequence's first new token (0 without a cache).
    let starts: [Int]
    /// Each sequence's cache, if any.
    let caches: [KVCache?]
    /// One more than the largest position in the batch: the RoPE tables must cover `0..<positionLimit`.
    let positionLimit: Int

    var count: Int { lengths.count }
    var totalTokens: Int { tokens.count }
    var hasCaches: Bool { caches.contains { $0 != nil } }

    /// Validates every sequence (and cache) before anything is computed or written, so that a refused batch
    /// changes no cache.
    init(_ batch: [PackedSequence], config: LlamaConfig) throws {
        guard !batch.isEmpty else { throw LlamaError.invalidInput("the batch has no sequences") }
        var tokens: [Int32] = [], positions: [Int32] = [], offsets: [Int] = [], lengths: [Int] = [], starts: [Int] = []
        let total = batch.reduce(0) { $0 + $1.tokens.count }
        tokens.reserveCapacity(total)
        positions.reserveCapacity(total)
        var seenCaches = Set<ObjectIdentifier>()
        for (sequence, entry) in batch.enumerated() {
            let ids = entry.tokens
            guard !ids.isEmpty else { throw LlamaError.invalidInput("sequence \(sequence) has no tokens") }
            var start = 0
            if let cache = entry.cache {
                guard cache.keys.count == config.blockCount, cache.keyValueWidth == config.keyValueWidth else {
                    throw LlamaError.invalidInput("sequence \(sequence): the KV cache was made for a model of a different shape")
                }
                guard seenCaches.insert(ObjectIdentifier(cache)).inserted else {
                    throw LlamaError.invalidInput("sequence \(sequence): its KV cache is already used by another sequence of the batch")
                }
                guard cache.count + ids.count <= cache.capacity else {
                    throw LlamaError.invalidInput(
                        "sequence \(sequence): the KV cache holds \(cache.count) of "
                            + "\(cache.capacity) tokens; \(ids.count) more do not fit")
                }
                start = cache.count
            }
            for (position, id) in ids.enumerated() where id < 0 || Int(id) >= config.vocabularySize {
                throw LlamaError.tokenOutOfRange(
                    sequence: sequence, position: start + position, token: id,
                    vocabularySize: config.vocabularySize)
            }
            offsets.append(tokens.count)
            lengths.append(ids.count)
            starts.append(start)
            tokens.append(contentsOf: ids)
            positions.append(contentsOf: (start..<(start + ids.count)).map { Int32($0) })
        }
        self.tokens = tokens
        self.positions = positions
        self.offsets = offsets
        self.lengths = lengths
        self.starts = starts
        caches = batch.map(\.cache)
        positionLimit = zip(starts, lengths).map { $0 + $1 }.max() ?? 0
    }
}
