/// The steps of a decoder block that the packed forward pass (`forward(batch:)`) and the KV-cache pass
/// (`extend(_:cache:)`) share, so both compute every row with the same kernels in the same order. Only
/// attention differs between them (block-diagonal over a packed batch vs. over the cache). What a step does
/// for an architecture comes from `design` (`DecoderArchitecture`) and `config`, never from its name.
/// `threads` is the calling pass's thread count for the steps outside the matrix products.
extension LlamaModel {
    /// `h = RMSNorm(x) · gain` for `rows` rows of width d, split across threads.
    func normalizeRows(
        _ x: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>, gain: FloatBuffer, rows: Int,
        threads: Int
    ) {
        let d = config.hiddenSize, epsilon = config.rmsNormEpsilon
        parallelChunks(rows, threads: threads, minimumChunk: 16) { range in
            rmsNorm(x, h, gain: gain.pointer, width: d, epsilon: epsilon, rows: range)
        }
    }

    /// Hidden state 0: the embedding rows of `tokens`, times √d where the architecture scales them (Gemma,
    /// in f32 as Hugging Face does).
    func embed(_ tokens: UnsafeBufferPointer<Int32>, into x: UnsafeMutablePointer<Float>) {
        let d = config.hiddenSize
        for row in 0..<tokens.count {
            (x + row * d).update(from: weights.tokenEmbedding.pointer + Int(tokens[row]) * d, count: d)
        }
        if design.scalesEmbedding {
            let scale = Float(Double(d).squareRoot())
            for i in 0..<tokens.count * d { x[i] *= scale }
        }
    }

    /// The attention sub-layer's input: `h = RMSNorm(x)`, then the stacked Q/K/V projection of `h` into
    /// `qkv` (rows of `queryWidth + 2·keyValueWidth`) plus biases, the per-head query/key norms, and RoPE on
    /// Q and K at `positions` with block `layer`'s tables.
    func projectQueryKeyValue(
        _ block: LlamaBlockWeights, x: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
        qkv: UnsafeMutablePointer<Float>, rows: Int, positions: UnsafePointer<Int32>,
        rotary: RotaryTables, threads: Int
    ) {
        let d = config.hiddenSize, head = config.headDimension, epsilon = config.rmsNormEpsilon
        let queryHeads = config.headCount, keyHeads = config.keyValueHeadCount
        let qkvWidth = config.queryWidth + 2 * config.keyValueWidth
        normalizeRows(x, into: h, gain: block.attentionNorm, rows: rows, threads: threads)
        linear(
            h, rows: rows, inputs: d, lda: d, weight: block.queryKeyValue.pointer, outputs: qkvWidth,
            into: qkv, ldc: qkvWidth)
        let pairing = design.rotaryPairing
        parallelChunks(rows, threads: threads, minimumChunk: 16) { range in
            for row in range {
                let q = qkv + row * qkvWidth, k = q + config.queryWidth
                if let bias = block.queryKeyValueBias {
                    for i in 0..<qkvWidth { q[i] += bias.pointer[i] }
                }
                if let queryNorm = block.queryNorm, let keyNorm = block.keyNorm {
                    // Each head is a row of width `head`: the heads of Q, then of K, are contiguous.
                    rmsNorm(q, q, gain: queryNorm.pointer, width: head, epsilon: epsilon, rows: 0..<queryHeads)
                    rmsNorm(k, k, gain: keyNorm.pointer, width: head, epsilon: epsilon, rows: 0..<keyHeads)
                }
            }
            applyRotary(
                qkv, rowStride: qkvWidth, heads: queryHeads + keyHeads, headDimension: head,
                positions: positions, cos: rotary.cosines.pointer, sin: rotary.sines.pointer,
                pairs: config.ropeDimension / 2, pairing: pairing, rows: range)
        }
    }

    /// The attention sub-layer's output joins the residual stream: `x += W_o · attention`, or with
    /// post-sub-layer norms (Gemma) `x += RMSNorm(W_o · attention)`, using `h` as scratch.
    func addAttentionOutput(
        _ block: LlamaBlockWeights, attention: UnsafePointer<Float>, x: UnsafeMutablePointer<Float>,
        h: UnsafeMutablePointer<Float>, rows: Int, threads: Int
    ) {
        addSublayerOutput(x: x, h: h, rows: rows, postNorm: block.postAttentionNorm, threads: threads) { into, accumulate in
            linear(
                attention, rows: rows, inputs: config.queryWidth, lda: config.queryWidth,
                weight: block.attentionOutput.pointer, outputs: config.hiddenSize, into: into,
                ldc: config.hiddenSize, accumulate: accumulate)
        }
    }

    /// The feed-forward sub-layer in place: `x += W_down · (act(W_gate h) ⊙ W_up h)` with `h = RMSNorm(x)`
    /// (and the post-sub-layer norm where the architecture has one). `gateUp` is scratch of `rows × 2·ff`.
    func feedForward(
        _ block: LlamaBlockWeights, x: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
        gateUp: UnsafeMutablePointer<Float>, rows: Int, threads: Int
    ) {
        let d = config.hiddenSize, ff = config.feedForwardSize
        let activation = design.activation
        normalizeRows(x, into: h, gain: block.feedForwardNorm, rows: rows, threads: threads)
        linear(
            h, rows: rows, inputs: d, lda: d, weight: block.gateUp.pointer, outputs: 2 * ff,
            into: gateUp, ldc: 2 * ff)
        parallelChunks(rows, threads: threads, minimumChunk: 4) { range in
            gatedActivation(gateUp, width: ff, activation: activation, rows: range)
        }
        addSublayerOutput(x: x, h: h, rows: rows, postNorm: block.postFeedForwardNorm, threads: threads) { into, accumulate in
            linear(
                gateUp, rows: rows, inputs: ff, lda: 2 * ff, weight: block.down.pointer, outputs: d,
                into: into, ldc: d, accumulate: accumulate)
        }
    }

    /// Adds a sub-layer's output projection to `x`: straight into `x` (the product accumulates), or, with
    /// `postNorm`, into `h`, normed in place, then added.
    private func addSublayerOutput(
        x: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int,
        postNorm: FloatBuffer?, threads: Int,
        project: (_ into: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> Void
    ) {
        guard let postNorm else {
            project(x, true)
            return
        }
        let d = config.hiddenSize
        project(h, false)
        normalizeRows(h, into: h, gain: postNorm, rows: rows, threads: threads)
        for i in 0..<rows * d { x[i] += h[i] }
    }

    /// How block `layer` scores its queries against its keys.
    func scoring(layer: Int) -> AttentionScoring {
        AttentionScoring(
            scale: config.attentionScale, softcap: config.attentionLogitSoftcap,
            window: config.window(layer: layer))
    }

    /// The output head on `rows` final-normed rows: `logits = W_out · h`, soft-capped where the architecture
    /// caps them (Gemma 2).
    func outputLogits(_ normed: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        let d = config.hiddenSize, vocabulary = config.vocabularySize
        linear(
            normed, rows: rows, inputs: d, lda: d, weight: weights.output.pointer, outputs: vocabulary,
            into: logits, ldc: vocabulary)
        if let cap = config.finalLogitSoftcap { softcap(logits, count: rows * vocabulary, cap: cap) }
    }
}
