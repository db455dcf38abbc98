/// The scoring-attention gate: `t = tanh(X w)`, `s = τ·t` (τ = 1 unless learnable), padded rows get
/// −∞, `α = softmax(s)`, output `Σ α_i x_i`. Forward next to backward.
///
/// Cache: `a` = t (rows), `b` = α (rows).
enum GateAggregator {
    /// t and α (n each) in the cache; dα and the score gradient (n each) in s1 and s2.
    static func workspace(rows n: Int) -> AggregatorWorkspace {
        AggregatorWorkspace(cacheFloats: 2 * n, shared: [n, n, 0, 0])
    }

    static func forward(
        x: UnsafePointer<Float>, rows n: Int, mask: UnsafePointer<UInt8>?, width d: Int,
        w: UnsafePointer<Float>, scale: Float, cache: AggregatorCache, out: UnsafeMutablePointer<Float>
    ) {
        let t = cache.a.ensure(n), alpha = cache.b.ensure(n)
        MatrixOps.matvecForward(x: x, w: w, y: t, m: n, k: d) // X·w as one sgemv over all rows
        ElementwiseOps.tanhForward(t, t, count: n)
        for i in 0..<n { alpha[i] = scale * t[i] } // scores, reused as the softmax input
        SoftmaxOps.maskedSoftmaxForward(scores: alpha, mask: mask, probabilities: alpha, count: n)
        ReductionOps.weightedSumForward(x: x, weights: alpha, rows: n, width: d, y: out)
    }

    static func backward(
        x: UnsafePointer<Float>, rows n: Int, width d: Int, w: UnsafePointer<Float>, scale: Float,
        cache: AggregatorCache, shared: SharedScratch, dOut: UnsafePointer<Float>,
        dW: UnsafeMutablePointer<Float>, dScale: UnsafeMutablePointer<Float>?, dX: UnsafeMutablePointer<Float>?
    ) {
        let t = cache.a.pointer, alpha = cache.b.pointer
        let dAlpha = shared.s1.ensure(n), dScore = shared.s2.ensure(n)
        // dα_i = dOut·x_i ; dx_i += α_i dOut
        ReductionOps.weightedSumBackward(x: x, weights: alpha, dY: dOut, rows: n, width: d, dWeights: dAlpha, dX: dX)
        SoftmaxOps.maskedSoftmaxBackward(probabilities: alpha, dProbabilities: dAlpha, dScores: dScore, count: n)
        if let dScale {
            var s: Float = 0
            for i in 0..<n { s += dScore[i] * t[i] }
            dScale.pointee += s
        }
        // through s = τ t and t = tanh(u): du = ds · τ · (1 − t²)
        for i in 0..<n { dScore[i] = dScore[i] * scale * (1 - t[i] * t[i]) }
        MatrixOps.matvecBackward(x: x, w: w, dY: dScore, dW: dW, dX: dX, m: n, k: d)
    }
}
