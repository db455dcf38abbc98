import Foundation

/// Downcast multi-head self-attention over a set of rows, then mean or max pooling.
///
/// `[Q K V] = X · W_qkv` (d → 3k, k = inner = d/f rounded to a multiple of H), H heads of width
/// k/H, `P_h = softmax(Q_h K_hᵀ / √(k/H))` with padded keys excluded, `O_h = P_h V_h`,
/// `Y = O · W_out` (k → d), output = mean or max of Y over valid rows. No biases, positional
/// embeddings, residual, norm or FFN (the paper describes none): 4·d·k parameters.
///
/// Forward next to backward. Cache: `a` = QKV (n×3k), `b` = O (n×k), `c` = mean of valid O rows (k),
/// `indices` = max-pool argmax (d). Attention probabilities are not stored: the backward recomputes
/// them from Q and K (n² per head), which keeps a worker's memory linear in the sequence length.
struct MultiHeadAggregator {
    let width: Int
    let inner: Int
    let heads: Int
    let pool: PoolMode

    private var headWidth: Int { inner / heads }

    /// Cache: QKV (3k·n), O (k·n), mean O (k) or the max-pool argmax (d). Shared: one head's
    /// probabilities P (n², and the k-wide dOMean in backward) in s1, dQKV (3k·n) in s2, dP (n²) or the
    /// max-pool's projected rows (n·d) in s3, dO (k·n) in s4. The n² terms are the attention workspace:
    /// 2 · 4 bytes · n² per worker (32 MB for a 2,000-token record).
    func workspace(rows n: Int) -> AggregatorWorkspace {
        let k = inner, d = width
        return AggregatorWorkspace(
            cacheFloats: 4 * k * n + (pool == .mean ? k : 0), cacheIndices: pool == .max ? d : 0,
            shared: [max(k, n * n), 3 * k * n, max(n * n, pool == .max ? n * d : 0), k * n])
    }

    /// P (n×n) for head h from the cached QKV, softmax over valid keys, zero rows for padded queries.
    private func attentionProbabilities(
        qkv: UnsafePointer<Float>, head h: Int, rows n: Int, mask: UnsafePointer<UInt8>?, into p: UnsafeMutablePointer<Float>
    ) {
        let dh = headWidth, ld = 3 * inner
        MatrixOps.gemm(
            transposeA: false, transposeB: true, m: n, n: n, k: dh, alpha: 1 / Float(dh).squareRoot(),
            a: qkv + h * dh, lda: ld, b: qkv + inner + h * dh, ldb: ld, beta: 0, c: p, ldc: n)
        for i in 0..<n {
            let row = p + i * n
            if let mask, mask[i] == 0 {
                row.update(repeating: 0, count: n)
            } else {
                SoftmaxOps.maskedSoftmaxForward(scores: row, mask: mask, probabilities: row, count: n)
            }
        }
    }

    func forward(
        x: UnsafePointer<Float>, rows n: Int, mask: UnsafePointer<UInt8>?, params: UnsafePointer<Float>,
        cache: AggregatorCache, shared: SharedScratch, out: UnsafeMutablePointer<Float>
    ) {
        let d = width, k = inner, dh = headWidth, ld = 3 * k
        let wQKV = params, wOut = params + 3 * d * k
        let qkv = cache.a.ensure(n * ld), o = cache.b.ensure(n * k)
        MatrixOps.matmulForward(x: x, w: wQKV, y: qkv, m: n, k: d, n: ld) // all rows of the layer in one sgemm
        let p = shared.s1.ensure(n * n)
        for h in 0..<heads {
            attentionProbabilities(qkv: qkv, head: h, rows: n, mask: mask, into: p)
            MatrixOps.gemm(
                transposeA: false, transposeB: false, m: n, n: dh, k: n,
                a: p, lda: n, b: qkv + 2 * k + h * dh, ldb: ld, beta: 0, c: o + h * dh, ldc: k)
        }
        switch pool {
        case .mean:
            // mean_i(O_i W) = (mean_i O_i) W: pool the k-wide rows before projecting back to d.
            let oMean = cache.c.ensure(k)
            ReductionOps.maskedMeanForward(x: o, mask: mask, rows: n, width: k, y: oMean)
            MatrixOps.matmulForward(x: oMean, w: wOut, y: out, m: 1, k: k, n: d)
        case .max:
            let y = shared.s3.ensure(n * d)
            MatrixOps.matmulForward(x: o, w: wOut, y: y, m: n, k: k, n: d)
            ReductionOps.maskedMaxForward(x: y, mask: mask, rows: n, width: d, y: out, argmax: cache.indices.ensure(d))
        }
    }

    func backward(
        x: UnsafePointer<Float>, rows n: Int, mask: UnsafePointer<UInt8>?, params: UnsafePointer<Float>,
        cache: AggregatorCache, shared: SharedScratch, dOut: UnsafePointer<Float>,
        grads: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>?
    ) {
        let d = width, k = inner, dh = headWidth, ld = 3 * k
        let wQKV = params, wOut = params + 3 * d * k
        let dWQKV = grads, dWOut = grads + 3 * d * k
        let qkv = cache.a.pointer, o = cache.b.pointer
        let dQKV = shared.s2.ensure(n * ld), dO = shared.s4.ensure(n * k)
        dQKV.update(repeating: 0, count: n * ld)
        dO.update(repeating: 0, count: n * k)

        switch pool {
        case .mean:
            let oMean = cache.c.pointer
            // out = oMean · W_out: dW_out += oMeanᵀ dOut, dOMean = W_out · dOut
            MatrixOps.gemm(
                transposeA: true, transposeB: false, m: k, n: d, k: 1,
                a: oMean, lda: k, b: dOut, ldb: d, beta: 1, c: dWOut, ldc: d)
            let dOMean = shared.s1.ensure(max(k, n * n))
            MatrixOps.gemm(
                transposeA: false, transposeB: true, m: 1, n: k, k: d,
                a: dOut, lda: d, b: wOut, ldb: d, beta: 0, c: dOMean, ldc: k)
            ReductionOps.maskedMeanBackward(dY: dOMean, mask: mask, rows: n, width: k, dX: dO)
        case .max:
            // Only the winning row of each output column receives gradient: O(d·k), no dense dY.
            let argmax = cache.indices.pointer
            for j in 0..<d where argmax[j] >= 0 {
                let r = Int(argmax[j]), g = dOut[j]
                let oRow = o + r * k, dORow = dO + r * k
                for c in 0..<k {
                    dORow[c] += g * wOut[c * d + j]
                    dWOut[c * d + j] += g * oRow[c]
                }
            }
        }

        let p = shared.s1.ensure(n * n), dP = shared.s3.ensure(n * n)
        let scale = 1 / Float(dh).squareRoot()
        for h in 0..<heads {
            let q = qkv + h * dh, kk = qkv + k + h * dh, v = qkv + 2 * k + h * dh
            attentionProbabilities(qkv: qkv, head: h, rows: n, mask: mask, into: p)
            // O_h = P V_h: dP = dO_h V_hᵀ, dV_h += Pᵀ dO_h
            MatrixOps.gemm(
                transposeA: false, transposeB: true, m: n, n: n, k: dh,
                a: dO + h * dh, lda: k, b: v, ldb: ld, beta: 0, c: dP, ldc: n)
            MatrixOps.gemm(
                transposeA: true, transposeB: false, m: n, n: dh, k: n,
                a: p, lda: n, b: dO + h * dh, ldb: k, beta: 1, c: dQKV + 2 * k + h * dh, ldc: ld)
            for i in 0..<n {
                let row = dP + i * n
                if let mask, mask[i] == 0 { row.update(repeating: 0, count: n); continue }
                SoftmaxOps.maskedSoftmaxBackward(probabilities: p + i * n, dProbabilities: row, dScores: row, count: n)
            }
            // S = scale · Q_h K_hᵀ: dQ_h += scale · dS K_h, dK_h += scale · dSᵀ Q_h
            MatrixOps.gemm(
                transposeA: false, transposeB: false, m: n, n: dh, k: n, alpha: scale,
                a: dP, lda: n, b: kk, ldb: ld, beta: 1, c: dQKV + h * dh, ldc: ld)
            MatrixOps.gemm(
                transposeA: true, transposeB: false, m: n, n: dh, k: n, alpha: scale,
                a: dP, lda: n, b: q, ldb: ld, beta: 1, c: dQKV + k + h * dh, ldc: ld)
        }
        MatrixOps.matmulBackward(x: x, w: wQKV, dY: dQKV, dW: dWQKV, dX: dX, m: n, k: d, n: ld)
    }
}
