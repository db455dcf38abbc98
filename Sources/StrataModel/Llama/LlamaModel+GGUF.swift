extension LlamaModel {
    /// Opens a GGUF file and loads the model (see `init(gguf:threads:)`).
    public convenience init(path: String, threads: Int? = nil) throws {
        try self.init(gguf: try GGUFFile(path: path), threads: threads)
    }

    /// Loads a model of a supported architecture from a GGUF file, dequantising every weight to f32 once.
    public convenience init(gguf file: GGUFFile, threads: Int? = nil) throws {
        let config = try LlamaConfig(gguf: file)
        try self.init(config: config, weights: try LlamaWeights(gguf: file, config: config), threads: threads)
    }
}

extension LlamaWeights {
    /// Dequantises the weights named by llama.cpp's conventions (`token_embd.weight`, `blk.N.attn_q.weight`,
    /// ...), checking every shape against `config`; which tensors a block has follows `config.design`.
    /// Q/K/V and gate/up are dequantised straight into their stacked buffers. Each tensor's file bytes are released from resident memory once dequantised.
    public init(gguf file: GGUFFile, config: LlamaConfig) throws {
        let d = config.hiddenSize, ff = config.feedForwardSize, vocabulary = config.vocabularySize
        let queryWidth = config.queryWidth, kvWidth = config.keyValueWidth

        /// Tensor `name`, checked to have ggml shape `shape`. Shapes come from the metadata, so every
        /// buffer is allocated only after the tensors it holds are known to be in the file with that shape.
        func tensor(_ name: String, _ shape: [Int]) throws -> GGUFTensorInfo {
            let tensor = try file.requireTensor(name)
            guard tensor.shape == shape else {
                throw LlamaError.tensorShape(name: name, expected: shape, found: tensor.shape)
            }
            return tensor
        }
        /// Dequantises `tensor` into `buffer` starting at float `offset`, then releases its file bytes.
        func load(_ tensor: GGUFTensorInfo, into buffer: FloatBuffer, at offset: Int = 0) throws {
            try file.dequantize(tensor, into: UnsafeMutableBufferPointer(start: buffer.pointer + offset, count: tensor.elementCount))
            file.releaseData(of: tensor)
        }
        func loaded(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
            let checked = try tensor(name, shape)
            let buffer = FloatBuffer(count: checked.elementCount)
            try load(checked, into: buffer)
            return buffer
        }

        let design = config.design!
        /// Tensors `names` (with ggml shapes `shapes`) dequantised one after another into one buffer.
        func stacked(_ parts: [(name: String, shape: [Int])]) throws -> FloatBuffer {
            let tensors = try parts.map { try tensor($0.name, $0.shape) }
            let buffer = FloatBuffer(count: tensors.reduce(0) { $0 + $1.elementCount })
            var offset = 0
            for tensor in tensors {
                try load(tensor, into: buffer, at: offset)
                offset += tensor.elementCount
            }
            return buffer
        }
        func optional(_ name: String, _ shape: [Int]) throws -> FloatBuffer? {
            guard file.tensor(named: name) != nil else { return nil }
            return try loaded(name, shape)
        }

        var blocks: [LlamaBlockWeights] = []
        for index in 0..<config.blockCount {
            let prefix = "blk.\(index)."
            let qkvWidth = queryWidth + 2 * kvWidth
            let queryKeyValue: FloatBuffer, gateUp: FloatBuffer
            var bias: FloatBuffer? = nil
            if design.fusedProjections {
                queryKeyValue = try loaded(prefix + "attn_qkv.weight", [d, qkvWidth])
                gateUp = try loaded(prefix + "ffn_up.weight", [d, 2 * ff])
                bias = try optional(prefix + "attn_qkv.bias", [qkvWidth])
            } else {
                queryKeyValue = try stacked([
                    (prefix + "attn_q.weight", [d, queryWidth]),
                    (prefix + "attn_k.weight", [d, kvWidth]),
                    (prefix + "attn_v.weight", [d, kvWidth])
                ])
                gateUp = try stacked([(prefix + "ffn_gate.weight", [d, ff]), (prefix + "ffn_up.weight", [d, ff])])
                let biasNames = ["attn_q.bias", "attn_k.bias", "attn_v.bias"].map { prefix + $0 }
                if design.attentionBiases == .required || biasNames.contains(where: { file.tensor(named: $0) != nil }) {
                    bias = try stacked(zip(biasNames, [[queryWidth], [kvWidth], [kvWidth]]).map { ($0, $1) })
                }
            }
            let head = config.headDimension
            let post = design.normsSublayerOutputs
            blocks.append(
                LlamaBlockWeights(
                    attentionNorm: try loaded(prefix + "attn_norm.weight", [d]),
                    queryKeyValue: queryKeyValue,
                    attentionOutput: try loaded(prefix + "attn_output.weight", [queryWidth, d]),
                    feedForwardNorm: try loaded(prefix + "ffn_norm.weight", [d]),
                    gateUp: gateUp,
                    down: try loaded(prefix + "ffn_down.weight", [ff, d]),
                    queryKeyValueBias: bias,
                    queryNorm: design.normsQueriesAndKeys ? try loaded(prefix + "attn_q_norm.weight", [head]) : nil,
                    keyNorm: design.normsQueriesAndKeys ? try loaded(prefix + "attn_k_norm.weight", [head]) : nil,
                    postAttentionNorm: post ? try loaded(prefix + "post_attention_norm.weight", [d]) : nil,
                    postFeedForwardNorm: post ? try loaded(prefix + "post_ffw_norm.weight", [d]) : nil))
        }
        let embedding = try loaded("token_embd.weight", [d, vocabulary])
        let output = config.tiedOutput ? embedding : try loaded("output.weight", [d, vocabulary])
        var factors: [Float]? = nil
        if file.tensor(named: "rope_freqs.weight") != nil {
            factors = try loaded("rope_freqs.weight", [config.ropeDimension / 2]).array
        }
        try self.init(
            config: config, tokenEmbedding: embedding, blocks: blocks,
            outputNorm: try loaded("output_norm.weight", [d]), output: output,
            ropeFrequencyFactors: factors)
    }
}
