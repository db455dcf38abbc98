/// Which hidden states a forward pass should hand out, and whether to compute next-token log-probabilities.
///
/// Hidden-state indices follow Hugging Face `output_hidden_states`: 0 is the embedding output, `l` (1…L) the
/// output of block `l`, and L is taken *after* the final RMSNorm.
public struct HiddenStateRequest: Sendable, Equatable {
    /// Hidden-state indices in `0...L`; `nil` means all of them.
    public var layers: [Int]?
    /// Compute the log-softmax over the vocabulary at the last position of every sequence.
    public var wantLastLogProbs: Bool

    public init(layers: [Int]? = nil, wantLastLogProbs: Bool = false) {
        self.layers = layers
        self.wantLastLogProbs = wantLastLogProbs
    }

    /// Every hidden state, no log-probabilities.
    public static let allLayers = HiddenStateRequest()
    /// No hidden states, only the last-position log-probabilities.
    public static let logProbsOnly = HiddenStateRequest(layers: [], wantLastLogProbs: true)
}

/// Receives hidden states as a forward pass produces them.
///
/// For each requested layer, in increasing layer order, `receive` is called once per packed sequence with that
/// sequence's `tokens × hidden` rows (row-major f32). The buffer is only valid during the call: copy what you
/// keep. Calls come from the thread that called `forward`. An error thrown by the sink stops the forward pass
/// and is rethrown by `forward`.
public protocol HiddenStateSink: AnyObject {
    func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws
    /// The vocabulary-sized log-softmax at the last position of `sequence` (only when requested).
    func receiveLastLogProbs(sequence: Int, logProbs: UnsafeBufferPointer<Float>) throws
}

extension HiddenStateSink {
    public func receiveLastLogProbs(sequence: Int, logProbs: UnsafeBufferPointer<Float>) throws {}
}

/// What a forward pass returns besides what it streamed to the sink.
public struct ForwardResult: Sendable {
    /// Number of tokens of each packed sequence, in batch order.
    public let tokenCounts: [Int]
    /// The hidden-state indices that were delivered to the sink, ascending.
    public let layers: [Int]
    /// Per sequence, the log-softmax over the vocabulary at its last position; empty unless requested.
    public let lastLogProbs: [[Float]]
    /// Per sequence, the output logits (not normalised) at its last new position when it continues a KV cache
    /// (the distribution of the token that follows), nil for a sequence without a cache.
    public let nextLogits: [[Float]?]

    public init(tokenCounts: [Int], layers: [Int], lastLogProbs: [[Float]], nextLogits: [[Float]?]) {
        self.tokenCounts = tokenCounts
        self.layers = layers
        self.lastLogProbs = lastLogProbs
        self.nextLogits = nextLogits
    }

    /// The `k` most likely next tokens of `sequence`, most likely first (needs `wantLastLogProbs`).
    public func topTokens(sequence: Int, k: Int) -> [Int32] {
        guard sequence >= 0, sequence < lastLogProbs.count else { return [] }
        let logProbs = lastLogProbs[sequence]
        let order = logProbs.indices.sorted { logProbs[$0] > logProbs[$1] || (logProbs[$0] == logProbs[$1] && $0 < $1) }
        return order.prefix(max(k, 0)).map { Int32($0) }
    }
}
