/// The f32 weights of one transformer block, laid out for the forward pass.
///
/// Every matrix is row-major `[outputs × inputs]` (the GGUF / PyTorch `Linear` layout), so a product is
/// `Y = X · Wᵀ`. Query, key and value are stacked into one matrix and gate and up into another, so each
/// becomes a single large matrix product (Phi-3 files store them stacked already). Query and key rows are in
/// GGUF order (see `RotaryEmbedding`). The optional parts are present exactly when the architecture's
/// `DecoderArchitecture` description asks for them (biases: also when the file has them).
public struct LlamaBlockWeights: Sendable {
    /// RMSNorm gain before attention, `[d]`.
    public let attentionNorm: FloatBuffer
    /// Stacked query, key and value projections, `[(queryWidth + 2·keyValueWidth) × d]`.
    public let queryKeyValue: FloatBuffer
    /// Attention output projection, `[d × queryWidth]`.
    public let attentionOutput: FloatBuffer
    /// RMSNorm gain before the feed-forward layer, `[d]`.
    public let feedForwardNorm: FloatBuffer
    /// Stacked gate and up projections, `[(2·ff) × d]`.
    public let gateUp: FloatBuffer
    /// Down projection, `[d × ff]`.
    public let down: FloatBuffer
    /// Stacked query, key and value biases, `[queryWidth + 2·keyValueWidth]` (Qwen2).
    public let queryKeyValueBias: FloatBuffer?
    /// Per-head RMSNorm gains of queries and keys, `[headDimension]` each (Qwen3, Gemma 3).
    public let queryNorm: FloatBuffer?
    public let keyNorm: FloatBuffer?
    /// RMSNorm gains on the attention and feed-forward outputs, `[d]` each (Gemma 2 and 3).
    public let postAttentionNorm: FloatBuffer?
    public let postFeedForwardNorm: FloatBuffer?

    /// Builds a block from separate row-major matrices, checking every size against `config`.
    public init(
        config: LlamaConfig, attentionNorm: [Float], query: [Float], key: [Float], value: [Float],
        attentionOutput: [Float], feedForwardNorm: [Float], gate: [Float], up: [Float], down: [Float],
        queryKeyValueBias: [Float]? = nil, queryNorm: [Float]? = nil, keyNorm: [Float]? = nil,
        postAttentionNorm: [Float]? = nil, postFeedForwardNorm: [Float]? = nil, block: Int = 0
    ) throws {
        let d = config.hiddenSize, ff = config.feedForwardSize
        let q = config.queryWidth, kv = config.keyValueWidth
        func check(_ values: [Float], _ name: String, _ rows: Int, _ columns: Int) throws {
            guard values.count == rows * columns else {
                throw LlamaError.tensorShape(
                    name: "blk.\(block).\(name)", expected: [columns, rows],
                    found: [values.count])
            }
        }
        try check(attentionNorm, "attn_norm.weight", 1, d)
        try check(query, "attn_q.weight", q, d)
        try check(key, "attn_k.weight", kv, d)
        try check(value, "attn_v.weight", kv, d)
        try check(attentionOutput, "attn_output.weight", d, q)
        try check(feedForwardNorm, "ffn_norm.weight", 1, d)
        try check(gate, "ffn_gate.weight", ff, d)
        try check(up, "ffn_up.weight", ff, d)
        try check(down, "ffn_down.weight", d, ff)
        if let queryKeyValueBias { try check(queryKeyValueBias, "attn_qkv.bias", 1, q + 2 * kv) }
        if let queryNorm { try check(queryNorm, "attn_q_norm.weight", 1, config.headDimension) }
        if let keyNorm { try check(keyNorm, "attn_k_norm.weight", 1, config.headDimension) }
        if let postAttentionNorm { try check(postAttentionNorm, "post_attention_norm.weight", 1, d) }
        if let postFeedForwardNorm { try check(postFeedForwardNorm, "post_ffw_norm.weight", 1, d) }
        self.init(
            attentionNorm: FloatBuffer(attentionNorm), queryKeyValue: FloatBuffer(query + key + value),
            attentionOutput: FloatBuffer(attentionOutput), feedForwardNorm: FloatBuffer(feedForwardNorm),
            gateUp: FloatBuffer(gate + up), down: FloatBuffer(down),
            queryKeyValueBias: queryKeyValueBias.map { FloatBuffer($0) }, queryNorm: queryNorm.map { FloatBuffer($0) },
            keyNorm: keyNorm.map { FloatBuffer($0) }, postAttentionNorm: postAttentionNorm.map { FloatBuffer($0) },
            postFeedForwardNorm: postFeedForwardNorm.map { FloatBuffer($0) })
    }

    /// Wraps already stacked buffers (sizes checked by the caller).
    init(
        attentionNorm: FloatBuffer, queryKeyValue: FloatBuffer, attentionOutput: FloatBuffer,
        feedForwardNorm: FloatBuffer, gateUp: FloatBuffer, down: FloatBuffer, queryKeyValueBias: FloatBuffer? = nil,
        queryNorm: FloatBuffer? = nil, keyNorm: FloatBuffer? = nil, postAttentionNorm: FloatBuffer? = nil,
        postFeedForwardNorm: FloatBuffer? = nil
    ) {
        self.attentionNorm = attentionNorm
        self.queryKeyValue = queryKeyValue
        self.attentionOutput = attentionOutput
        self.feedForwardNorm = feedForwardNorm
        self.gateUp = gateUp
        self.down = down
        self.queryKeyValueBias = queryKeyValueBias
        self.queryNorm = queryNorm
        self.keyNorm = keyNorm
        self.postAttentionNorm = postAttentionNorm
        self.postFeedForwardNorm = postFeedForwardNorm
    }
}

/// All f32 weights of a Llama-family model.
public struct LlamaWeights: Sendable {
    /// Token embedding, `[vocabularySize × d]`.
    public let tokenEmbedding: FloatBuffer
    /// The transformer blocks, in order.
    public let blocks: [LlamaBlockWeights]
    /// Final RMSNorm gain, `[d]`.
    public let outputNorm: FloatBuffer
    /// Output head, `[vocabularySize × d]`; the same object as `tokenEmbedding` when tied.
    public let output: FloatBuffer
    /// Optional per-frequency divisors (GGUF `rope_freqs.weight`, `[ropeDimension / 2]`): how llama.cpp
    /// stores Llama-3-style scaling; applied on top of `config.ropeScaling`.
    public let ropeFrequencyFactors: [Float]?

    /// Assembles and size-checks the weights. `output == nil` ties the head to the embedding.
    public init(
        config: LlamaConfig, tokenEmbedding: [Float], blocks: [LlamaBlockWeights], outputNorm: [Float],
        output: [Float]?, ropeFrequencyFactors: [Float]? = nil
    ) throws {
        let embedding = FloatBuffer(tokenEmbedding)
        try self.init(
            config: config, tokenEmbedding: embedding, blocks: blocks, outputNorm: FloatBuffer(outputNorm),
            output: output.map { FloatBuffer($0) } ?? embedding, ropeFrequencyFactors: ropeFrequencyFactors)
    }

    /// Assembles and size-checks buffers; pass the embedding itself as `output` for a tied head.
    init(
        config: LlamaConfig, tokenEmbedding: FloatBuffer, blocks: [LlamaBlockWeights], outputNorm: FloatBuffer,
        output: FloatBuffer, ropeFrequencyFactors: [Float]?
    ) throws {
        let d = config.hiddenSize, vocabulary = config.vocabularySize
        guard tokenEmbedding.count == vocabulary * d else {
            throw LlamaError.tensorShape(name: "token_embd.weight", expected: [d, vocabulary], found: [tokenEmbedding.count])
        }
        guard blocks.count == config.blockCount else {
            throw LlamaError.invalidConfig("expected \(config.blockCount) blocks, got \(blocks.count)")
        }
        let design = config.design
        for (index, block) in blocks.enumerated() {
            func require(_ present: Bool, _ needed: Bool, _ what: String) throws {
                if present != needed {
                    throw LlamaError.invalidConfig(
                        "block \(index) \(present ? "has" : "lacks") \(what), which architecture '\(config.architecture)' \(needed ? "needs" : "does not use")"
                    )
                }
            }
            try require(
                block.postAttentionNorm != nil && block.postFeedForwardNorm != nil,
                design?.normsSublayerOutputs == true, "post-sub-layer norms")
            try require(
                block.queryNorm != nil && block.keyNorm != nil, design?.normsQueriesAndKeys == true,
                "query/key norms")
            if design?.attentionBiases == .required {
                try require(block.queryKeyValueBias != nil, true, "query/key/value biases")
            }
        }
        guard outputNorm.count == d else {
            throw LlamaError.tensorShape(name: "output_norm.weight", expected: [d], found: [outputNorm.count])
        }
        if output.count != vocabulary * d {
            throw LlamaError.tensorShape(name: "output.weight", expected: [d, vocabulary], found: [output.count])
        }
        if let factors = ropeFrequencyFactors, factors.count != config.ropeDimension / 2 {
            throw LlamaError.tensorShape(
                name: "rope_freqs.weight", expected: [config.ropeDimension / 2],
                found: [factors.count])
        }
        self.tokenEmbedding = tokenEmbedding
        self.blocks = blocks
        self.outputNorm = outputNorm
        self.output = output
        self.ropeFrequencyFactors = ropeFrequencyFactors
    }
}
