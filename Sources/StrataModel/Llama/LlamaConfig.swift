/// How rotary position embeddings stretch to longer contexts (GGUF `<arch>.rope.scaling.*`).
public enum RopeScaling: Equatable, Sendable {
    /// Plain RoPE.
    case none
    /// Position interpolation: every frequency divided by `factor` (Hugging Face `"linear"`).
    case linear(factor: Double)
    /// Llama 3.1 scaling: low frequencies divided by `factor`, high ones kept, a smooth ramp in between
    /// (Hugging Face `"llama3"`).
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContextLength: Int)
}

/// The shape and hyper-parameters of a decoder of one of the `DecoderArchitecture.supported` families, as read
/// from GGUF metadata. (The name is historical: Llama was the first family.)
public struct LlamaConfig: Equatable, Sendable {
    /// `general.architecture` of the file the config came from (e.g. `"llama"`, `"gemma2"`); it selects the
    /// block description, `design`.
    public var architecture: String
    /// Number of transformer blocks, L.
    public var blockCount: Int
    /// Residual stream width, d.
    public var hiddenSize: Int
    /// Width of the SwiGLU feed-forward layer.
    public var feedForwardSize: Int
    /// Number of query heads.
    public var headCount: Int
    /// Number of key/value heads (grouped-query attention when smaller than `headCount`).
    public var keyValueHeadCount: Int
    /// Width of one attention head.
    public var headDimension: Int
    /// How many dimensions of each head RoPE rotates (llama: all of them, `headDimension`).
    public var ropeDimension: Int
    /// RoPE base θ.
    public var ropeFrequencyBase: Double
    /// RoPE context scaling.
    public var ropeScaling: RopeScaling
    /// ε added to the mean square in every RMSNorm.
    public var rmsNormEpsilon: Float
    /// Vocabulary size (rows of the token embedding).
    public var vocabularySize: Int
    /// True when the output head reuses the token embedding (no `output.weight` tensor).
    public var tiedOutput: Bool
    /// Tokens a sliding-window layer looks back, itself included (`<arch>.attention.sliding_window`); nil: none.
    public var slidingWindow: Int?
    /// Per block, whether it uses `slidingWindow`; empty when no block slides.
    public var slidingLayers: [Bool]
    /// RoPE base θ of the sliding-window layers (`<arch>.rope.freq_base_swa`, Gemma 3); nil: `ropeFrequencyBase`.
    /// Those layers use plain RoPE (no `ropeScaling`, no frequency factors), as Hugging Face does.
    public var localRopeFrequencyBase: Double?
    /// Factor on every query·key score before the softmax (usually `1/√headDimension`).
    public var attentionScale: Float
    /// Attention scores become `c · tanh(score / c)` (Gemma 2); nil: no soft-cap.
    public var attentionLogitSoftcap: Float?
    /// Output logits become `c · tanh(logit / c)` (Gemma 2); nil: no soft-cap.
    public var finalLogitSoftcap: Float?

    public init(
        architecture: String = "llama", blockCount: Int, hiddenSize: Int, feedForwardSize: Int,
        headCount: Int, keyValueHeadCount: Int, headDimension: Int? = nil, ropeDimension: Int? = nil,
        ropeFrequencyBase: Double = 10_000, ropeScaling: RopeScaling = .none, rmsNormEpsilon: Float = 1e-5,
        vocabularySize: Int, tiedOutput: Bool, slidingWindow: Int? = nil, slidingLayers: [Bool]? = nil,
        localRopeFrequencyBase: Double? = nil, attentionScale: Float? = nil,
        attentionLogitSoftcap: Float? = nil, finalLogitSoftcap: Float? = nil
    ) {
        self.architecture = architecture
        self.blockCount = blockCount
        self.hiddenSize = hiddenSize
        self.feedForwardSize = feedForwardSize
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        let head = headDimension ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.headDimension = head
        self.ropeDimension = ropeDimension ?? head
        self.ropeFrequencyBase = ropeFrequencyBase
        self.ropeScaling = ropeScaling
        self.rmsNormEpsilon = rmsNormEpsilon
        self.vocabularySize = vocabularySize
        self.tiedOutput = tiedOutput
        self.slidingWindow = slidingWindow
        self.slidingLayers = slidingLayers ?? (slidingWindow == nil ? [] : [Bool](repeating: true, count: max(blockCount, 0)))
        self.localRopeFrequencyBase = localRopeFrequencyBase
        self.attentionScale = attentionScale ?? (head > 0 ? 1 / Float(head).squareRoot() : 1)
        self.attentionLogitSoftcap = attentionLogitSoftcap
        self.finalLogitSoftcap = finalLogitSoftcap
    }

    /// The block description of `architecture`, or nil when it is not one this runtime runs.
    public var design: DecoderArchitecture? { DecoderArchitecture.named(architecture) }

    /// How far block `layer` looks back (tokens, itself included), or nil for full causal attention.
    public func window(layer: Int) -> Int? {
        slides(layer: layer) ? slidingWindow : nil
    }

    private func slides(layer: Int) -> Bool { !slidingLayers.isEmpty && slidingLayers[layer] }

    /// Whether block `layer` uses the local RoPE base rather than the global one (and its scaling).
    func usesLocalRope(layer: Int) -> Bool {
        localRopeFrequencyBase != nil && slides(layer: layer)
    }

    /// Number of hidden states a forward pass exposes: the embedding output plus one per block (L + 1).
    public var numHiddenStates: Int { blockCount + 1 }
    /// Width of all query heads together.
    public var queryWidth: Int { headCount * headDimension }
    /// Width of all key (or value) heads together.
    public var keyValueWidth: Int { keyValueHeadCount * headDimension }

    /// Checks that the numbers describe a model this runtime can run; throws `LlamaError.invalidConfig`.
    public func validate() throws {
        func require(_ condition: Bool, _ why: String) throws {
            if !condition { throw LlamaError.invalidConfig(why) }
        }
        try require(
            design != nil,
            "architecture '\(architecture)' is not supported (supported: \(DecoderArchitecture.supportedNames.joined(separator: ", ")))")
        try require(blockCount > 0, "block_count must be positive, got \(blockCount)")
        try require(hiddenSize > 0, "embedding_length must be positive, got \(hiddenSize)")
        try require(feedForwardSize > 0, "feed_forward_length must be positive, got \(feedForwardSize)")
        try require(headCount > 0, "attention.head_count must be positive, got \(headCount)")
        try require(
            keyValueHeadCount > 0 && headCount % keyValueHeadCount == 0,
            "attention.head_count_kv (\(keyValueHeadCount)) must divide attention.head_count (\(headCount))")
        try require(headDimension > 0, "head dimension must be positive, got \(headDimension)")
        try require(headDimension % 2 == 0, "head dimension must be even for RoPE, got \(headDimension)")
        // Widths are products of metadata values; the weights' shapes bound them, but only once
        // computing them cannot overflow.
        try require(
            !headCount.multipliedReportingOverflow(by: headDimension).overflow,
            "attention.head_count (\(headCount)) × head dimension (\(headDimension)) does not fit in an integer")
        try require(
            ropeDimension > 0 && ropeDimension <= headDimension && ropeDimension % 2 == 0,
            "rope.dimension_count (\(ropeDimension)) must be even and at most the head dimension (\(headDimension))")
        try require(
            ropeDimension == headDimension || design?.rotaryPairing == .halves,
            "rope.dimension_count (\(ropeDimension)) must equal the head dimension (\(headDimension)) for \(architecture)")
        try require(ropeFrequencyBase > 0, "rope.freq_base must be positive, got \(ropeFrequencyBase)")
        try require(rmsNormEpsilon >= 0, "layer_norm_rms_epsilon must not be negative, got \(rmsNormEpsilon)")
        try require(vocabularySize > 0, "vocabulary size must be positive, got \(vocabularySize)")
        try require(
            slidingLayers.isEmpty || slidingLayers.count == blockCount,
            "the sliding-window pattern has \(slidingLayers.count) entries for \(blockCount) blocks")
        if let slidingWindow {
            try require(slidingWindow > 0, "attention.sliding_window must be positive, got \(slidingWindow)")
        }
        if let localRopeFrequencyBase {
            try require(localRopeFrequencyBase > 0, "rope.freq_base_swa must be positive, got \(localRopeFrequencyBase)")
        }
        try require(attentionScale.isFinite && attentionScale > 0, "attention.scale must be positive, got \(attentionScale)")
        for (name, cap) in [("attn_logit_softcapping", attentionLogitSoftcap), ("final_logit_softcapping", finalLogitSoftcap)] {
            if let cap { try require(cap.isFinite && cap > 0, "\(name) must be positive, got \(cap)") }
        }
        switch ropeScaling {
        case .none: break
        case .linear(let factor):
            try require(factor > 0, "rope.scaling.factor must be positive, got \(factor)")
        case .llama3(let factor, let low, let high, let original):
            try require(factor > 0, "rope.scaling.factor must be positive, got \(factor)")
            try require(high > low && low > 0, "rope.scaling high_freq_factor (\(high)) must exceed low_freq_factor (\(low)) > 0")
            try require(original > 0, "rope.scaling.original_context_length must be positive, got \(original)")
        }
    }
}
