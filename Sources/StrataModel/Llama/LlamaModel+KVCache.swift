extension LlamaModel {
    /// Runs `tokens` as the continuation of the sequence held in `cache` (positions `cache.count...`),
    /// appends their keys and values to the cache, streams the requested hidden states of the new
    /// tokens to `sink` (as `sequence` 0), and returns the output logits (not normalised) at the last
    /// new position — the distribution of the token that follows.
    ///
    /// This is `forward(sequences:)` with one cached sequence: the first call on an empty cache is the
    /// prefill, with the same kernels in the same order as a one-sequence `forward(batch:)`, so its hidden
    /// states equal it. Later calls (usually one token each) are decode steps. `request.wantLastLogProbs` is
    /// ignored: the logits are always returned. On error the cache keeps its previous length.
    public func extend(
        _ tokens: [Int32], cache: KVCache, request: HiddenStateRequest = HiddenStateRequest(layers: []),
        sink: HiddenStateSink? = nil
    ) throws -> [Float] {
        guard !tokens.isEmpty else { throw LlamaError.invalidInput("extend needs at least one token") }
        let result = try forward(
            sequences: [PackedSequence(tokens: tokens, cache: cache)],
            request: HiddenStateRequest(layers: request.layers), sink: sink)
        return result.nextLogits[0]!
    }

    /// Copies the new rows' keys and values (RoPE'd) of block `block` from `[q | k | v]` into each cached
    /// sequence's cache, after the positions it already holds (the cache's length grows after the pass).
    func appendKeysValues(qkv: UnsafePointer<Float>, layout: PackedBatch, block: Int) {
        let queryWidth = config.queryWidth, kvWidth = config.keyValueWidth
        let qkvWidth = queryWidth + 2 * kvWidth
        for (sequence, cache) in layout.caches.enumerated() {
            guard let cache else { continue }
            let keys = cache.keys[block].pointer, values = cache.values[block].pointer
            let first = layout.offsets[sequence], start = layout.starts[sequence]
            for row in 0..<layout.lengths[sequence] {
                let source = qkv + (first + row) * qkvWidth + queryWidth
                (keys + (start + row) * kvWidth).update(from: source, count: kvWidth)
                (values + (start + row) * kvWidth).update(from: source + kvWidth, count: kvWidth)
            }
        }
    }

    /// RoPE tables covering every position of `layout`: those of its largest cache when that covers them
    /// (a table's row depends only on its position, so any covering table gives the same values), else
    /// fresh ones.
    func rotaryTables(covering layout: PackedBatch) -> [RotaryTables] {
        if let largest = layout.caches.compactMap({ $0 }).max(by: { $0.capacity < $1.capacity }),
            largest.capacity >= layout.positionLimit
        {
            return largest.rotaryTables
        }
        return rotaries.tables(positions: layout.positionLimit)
    }
}
