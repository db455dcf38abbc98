/// The pieces of a Llama block that the packed forward pass (`forward(batch:)`) and the KV-cache
/// pass (`extend(_:cache:)`) share, so both compute every row with the same kernels in the same
/// order. Only attention differs between them (block-diagonal over a packed batch vs. over the cache).
/// `threads` is the calling pass's thread count for the steps outside the matrix products.
extension LlamaModel {
    /// `h = RMSNorm(x) · gain` for `rows` rows of width d, split across threads.
    func normalizeRows(_ x: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>, gain: FloatBuffer, rows: Int,
                       threads: Int) {
        let d = config.hiddenSize, epsilon = config.rmsNormEpsilon
        parallelChunks(rows, threads: threads, minimumChunk: 16) { range in
            rmsNorm(x, h, gain: gain.pointer, width: d, epsilon: epsilon, rows: range)
        }
    }

    /// The attention sub-layer's input: `h = RMSNorm(x)`, then the stacked Q/K/V projection of `h`
    /// into `qkv` (rows of `queryWidth + 2·keyValueWidth`), with RoPE applied to Q and K at `positions`.
    func projectQueryKeyValue(_ block: LlamaBlockWeights, x: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                              qkv: UnsafeMutablePointer<Float>, rows: Int, positions: UnsafePointer<Int32>,
                              cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, threads: Int) {
        let d = config.hiddenSize
        let qkvWidth = config.queryWidth + 2 * config.keyValueWidth
        normalizeRows(x, into: h, gain: block.attentionNorm, rows: rows, threads: threads)
        linear(h, rows: rows, inputs: d, lda: d, weight: block.queryKeyValue.pointer, outputs: qkvWidth,
               into: qkv, ldc: qkvWidth)
        parallelChunks(rows, threads: threads, minimumChunk: 16) { range in
            applyRotary(qkv, rowStride: qkvWidth, heads: config.headCount + config.keyValueHeadCount,
                        headDimension: config.headDimension, positions: positions,
                        cos: cos, sin: sin, pairs: config.ropeDimension / 2, rows: range)
        }
    }

    /// The feed-forward sub-layer in place: `x += W_down · (silu(W_gate h) ⊙ W_up h)`, `h = RMSNorm(x)`.
    /// `gateUp` is scratch of `rows × 2·feedForwardSize`.
    func feedForward(_ block: LlamaBlockWeights, x: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                     gateUp: UnsafeMutablePointer<Float>, rows: Int, threads: Int) {
        let d = config.hiddenSize, ff = config.feedForwardSize
        normalizeRows(x, into: h, gain: block.feedForwardNorm, rows: rows, threads: threads)
        linear(h, rows: rows, inputs: d, lda: d, weight: block.gateUp.pointer, outputs: 2 * ff,
               into: gateUp, ldc: 2 * ff)
        parallelChunks(rows, threads: threads, minimumChunk: 4) { range in
            swiGLU(gateUp, width: ff, rows: range)
        }
        linear(gateUp, rows: rows, inputs: ff, lda: 2 * ff, weight: block.down.pointer, outputs: d,
               into: x, ldc: d, accumulate: true)
    }
}
