import CBLAS

/// Reductions over the rows of an n×d matrix, restricted to rows whose mask is non-zero.
public enum ReductionOps {
    /// Number of valid rows.
    @inline(__always)
    public static func validCount(_ mask: UnsafePointer<UInt8>?, rows n: Int) -> Int {
        guard let mask else { return n }
        var c = 0
        for i in 0..<n where mask[i] != 0 { c += 1 }
        return c
    }

    /// Forward of masked mean: `y = (1/|V|) Σ_{i∈V} x_i`; zero when no row is valid.
    public static func maskedMeanForward(
        x: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, rows n: Int, width d: Int, y: UnsafeMutablePointer<Float>
    ) {
        y.update(repeating: 0, count: d)
        let c = validCount(mask, rows: n)
        if c == 0 { return }
        for i in 0..<n where mask == nil || mask![i] != 0 {
            let row = x + i * d
            for j in 0..<d { y[j] += row[j] }
        }
        let s = 1 / Float(c)
        for j in 0..<d { y[j] *= s }
    }

    /// Backward of masked mean: `dx_i += dy / |V|` for valid rows, nothing for excluded rows.
    public static func maskedMeanBackward(
        dY: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, rows n: Int, width d: Int, dX: UnsafeMutablePointer<Float>
    ) {
        let c = validCount(mask, rows: n)
        if c == 0 { return }
        let s = 1 / Float(c)
        for i in 0..<n where mask == nil || mask![i] != 0 {
            let row = dX + i * d
            for j in 0..<d { row[j] += dY[j] * s }
        }
    }

    /// Forward of masked max: `y_j = max_{i∈V} x_ij`, recording the winning row per column in
    /// `argmax` (−1 and y = 0 when no row is valid). Ties go to the first row.
    public static func maskedMaxForward(
        x: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, rows n: Int, width d: Int,
        y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        y.update(repeating: -Float.infinity, count: d)
        argmax.update(repeating: -1, count: d)
        for i in 0..<n where mask == nil || mask![i] != 0 {
            let row = x + i * d
            for j in 0..<d where row[j] > y[j] { y[j] = row[j]; argmax[j] = Int32(i) }
        }
        for j in 0..<d where argmax[j] < 0 { y[j] = 0 }
    }

    /// Backward of masked max: the gradient of each column goes to its winning row.
    public static func maskedMaxBackward(
        dY: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, width d: Int, dX: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<d where argmax[j] >= 0 { dX[Int(argmax[j]) * d + j] += dY[j] }
    }

    /// Forward of a weighted row sum: `y = Σ_i a_i x_i = Xᵀa` (one sgemv; rows with a_i = 0 add exactly 0).
    public static func weightedSumForward(
        x: UnsafePointer<Float>, weights a: UnsafePointer<Float>, rows n: Int, width d: Int, y: UnsafeMutablePointer<Float>
    ) {
        if n == 0 { y.update(repeating: 0, count: d); return }
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(n), Int32(d), 1, x, Int32(d), a, 1, 0, y, 1)
    }

    /// Backward of the weighted row sum: `da = X·dy` (written, one sgemv) and `dX += a ⊗ dy` (rank-1, when dX given).
    public static func weightedSumBackward(
        x: UnsafePointer<Float>, weights a: UnsafePointer<Float>, dY: UnsafePointer<Float>, rows n: Int, width d: Int,
        dWeights: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>?
    ) {
        if n == 0 { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(d), 1, x, Int32(d), dY, 1, 0, dWeights, 1)
        if let dX { cblas_sger(CblasRowMajor, Int32(n), Int32(d), 1, a, 1, dY, 1, dX, Int32(d)) }
    }
}
