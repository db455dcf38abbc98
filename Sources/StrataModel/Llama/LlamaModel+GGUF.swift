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

        var blocks: [LlamaBlockWeights] = []
        for index in 0..<config.blockCount {
            let prefix = "blk.\(index)."
            let q = try tensor(prefix + "attn_q.weight", [d, queryWidth])
            let k = try tensor(prefix + "attn_k.weight", [d, kvWidth])
            let v = try tensor(prefix + "attn_v.weight", [d, kvWidth])
            let qkv = FloatBuffer(count: q.elementCount + k.elementCount + v.elementCount)
            try load(q, into: qkv)
            try load(k, into: qkv, at: q.elementCount)
            try load(v, into: qkv, at: q.elementCount + k.elementCount)
            let gate = try tensor(prefix + "ffn_gate.weight", [d, ff])
            let up = try tensor(prefix + "ffn_up.weight", [d, ff])
            let gateUp = FloatBuffer(count: gate.elementCount + up.elementCount)
            try load(gate, into: gateUp)
            try load(up, into: gateUp, at: gate.elementCount)
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
