import CBLAS

/// Matrix products on OpenBLAS. All matrices are row-major with explicit leading dimensions.
public enum MatrixOps {
    /// `C = alpha · op(A) · op(B) + beta · C`, where op(A) is m×k and op(B) is k×n.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 {
                for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            } else if beta != 1 {
                for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Forward of a linear map without bias: `Y[m×n] = X[m×k] · W[k×n]` (`accumulate` adds to Y).
    @inline(__always)
    public static func matmulForward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool = false
    ) {
        gemm(
            transposeA: false, transposeB: false, m: m, n: n, k: k,
            a: x, lda: k, b: w, ldb: n, beta: accumulate ? 1 : 0, c: y, ldc: n)
    }

    /// Backward of `matmulForward`: `dW += Xᵀ · dY` and, when `dX` is given, `dX += dY · Wᵀ`.
    @inline(__always)
    public static func matmulBackward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, dY: UnsafePointer<Float>,
        dW: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>?,
        m: Int, k: Int, n: Int
    ) {
        gemm(
            transposeA: true, transposeB: false, m: k, n: n, k: m,
            a: x, lda: k, b: dY, ldb: n, beta: 1, c: dW, ldc: n)
        if let dX {
            gemm(
                transposeA: false, transposeB: true, m: m, n: k, k: n,
                a: dY, lda: n, b: w, ldb: n, beta: 1, c: dX, ldc: k)
        }
    }

    /// Forward of a matrix–vector product: `y[m] = X[m×k] · w[k]` (one score per row).
    @inline(__always)
    public static func matvecForward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, m: Int, k: Int
    ) {
        if m == 0 { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, x, Int32(k), w, 1, 0, y, 1)
    }

    /// Backward of `matvecForward`: `dw += Xᵀ · dy` and, when `dX` is given, `dX += dy · wᵀ` (rank-1).
    @inline(__always)
    public static func matvecBackward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, dY: UnsafePointer<Float>,
        dW: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>?, m: Int, k: Int
    ) {
        if m == 0 { return }
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(k), 1, x, Int32(k), dY, 1, 1, dW, 1)
        if let dX {
            cblas_sger(CblasRowMajor, Int32(m), Int32(k), 1, dY, 1, w, 1, dX, Int32(k))
        }
    }
}
