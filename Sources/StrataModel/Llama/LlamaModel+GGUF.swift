extension LlamaModel {
    /// Opens a GGUF file and loads the model (see `init(gguf:threads:)`).
    public convenience init(path: String, threads: Int? = nil) throws {
        try self.init(gguf: try GGUFFile(path: path), threads: threads)
    }

    /// Loads a Llama-family model from a GGUF file, dequantising every weight to f32 once.
    public convenience init(gguf file: GGUFFile, threads: Int? = nil) throws {
        let config = try LlamaConfig(gguf: file)
        try self.init(config: config, weights: try LlamaWeights(gguf: file, config: config), threads: threads)
    }
}

extension LlamaWeights {
    /// Dequantises the weights named by llama.cpp's conventions (`token_embd.weight`, `blk.N.attn_q.weight`,
    /// ...), checking every shape against `config`. Q/K/V and gate/up are dequantised straight into their
    /// stacked buffers. Each tensor's file bytes are released from resident memory once dequantised.
    public init(gguf file: GGUFFile, config: LlamaConfig) throws {
        let d = config.hiddenSize, ff = config.feedForwardSize, vocabulary = config.vocabularySize
        let queryWidth = config.queryWidth, kvWidth = config.keyValueWidth

        /// Dequantises tensor `name` of ggml shape `shape` into `buffer` starting at float `offset`.
        func load(_ name: String, _ shape: [Int], into buffer: FloatBuffer, at offset: Int = 0) throws {
            let tensor = try file.requireTensor(name)
            guard tensor.shape == shape else {
                throw LlamaError.tensorShape(name: name, expected: shape, found: tensor.shape)
            }
            let count = shape.reduce(1, *)
            try file.dequantize(tensor, into: UnsafeMutableBufferPointer(start: buffer.pointer + offset, count: count))
            file.releaseData(of: tensor)
        }
        func loaded(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
            let buffer = FloatBuffer(count: shape.reduce(1, *))
            try load(name, shape, into: buffer)
            return buffer
        }

        var blocks: [LlamaBlockWeights] = []
        for index in 0..<config.blockCount {
            let prefix = "blk.\(index)."
            let qkv = FloatBuffer(count: (queryWidth + 2 * kvWidth) * d)
            try load(prefix + "attn_q.weight", [d, queryWidth], into: qkv)
            try load(prefix + "attn_k.weight", [d, kvWidth], into: qkv, at: queryWidth * d)
            try load(prefix + "attn_v.weight", [d, kvWidth], into: qkv, at: (queryWidth + kvWidth) * d)
            let gateUp = FloatBuffer(count: 2 * ff * d)
            try load(prefix + "ffn_gate.weight", [d, ff], into: gateUp)
            try load(prefix + "ffn_up.weight", [d, ff], into: gateUp, at: ff * d)
            blocks.append(LlamaBlockWeights(
                attentionNorm: try loaded(prefix + "attn_norm.weight", [d]),
                queryKeyValue: qkv,
                attentionOutput: try loaded(prefix + "attn_output.weight", [queryWidth, d]),
                feedForwardNorm: try loaded(prefix + "ffn_norm.weight", [d]),
                gateUp: gateUp,
                down: try loaded(prefix + "ffn_down.weight", [ff, d])))
        }
        let embedding = try loaded("token_embd.weight", [d, vocabulary])
        let output = config.tiedOutput ? embedding : try loaded("output.weight", [d, vocabulary])
        var factors: [Float]? = nil
        if file.tensor(named: "rope_freqs.weight") != nil {
            factors = try loaded("rope_freqs.weight", [config.ropeDimension / 2]).array
        }
        try self.init(config: config, tokenEmbedding: embedding, blocks: blocks,
                      outputNorm: try loaded("output_norm.weight", [d]), output: output,
                      ropeFrequencyFactors: factors)
    }
}
