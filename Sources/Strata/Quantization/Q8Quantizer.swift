/// Encodes blocks of hidden-state vectors as q8 (spec/FORMAT.md §5.1): per vector, the k channels of
/// largest magnitude kept exactly as bf16, the others as int8 codes of one absmax scale.
///
/// **How k is chosen** (per block, from the data): the smallest k at which every vector of the block
/// has a relative L2 error ‖x − x̂‖ / ‖x‖ within `maxRelError`, found by raising k from 0 while a
/// vector misses the bound, at most `Q8Layout.outlierLimit`. A vector that misses the bound even
/// then, or holds a NaN or infinity, fails the block (`Q8EncodingFailure`), naming it.
/// Errors are measured on exactly what a reader reconstructs (f32 `code × scale`, bf16 outliers).
/// Owns its scratch memory; one per writer thread.
final class Q8Quantizer {
    let maxRelError: Double
    private var topIndex: [Int]
    private var topMagnitude: [Float]
    /// Per-vector relative errors of the last encoded block.
    private(set) var errors: [Float] = []

    init(maxRelError: Double) {
        self.maxRelError = maxRelError
        topIndex = Array(repeating: 0, count: Q8Layout.maxOutliers + 1)
        topMagnitude = Array(repeating: 0, count: Q8Layout.maxOutliers + 1)
    }

    /// Chooses k for the `vectors` × `hidden` f32 values at `values`, encodes them (shuffled) into
    /// memory from `reserve(rawSize)`, and returns the layout; `errors` then holds each vector's
    /// relative L2 error.
    func encode(
        _ values: UnsafePointer<Float>, vectors n: Int, hidden h: Int,
        reserve: (Int) -> UnsafeMutableRawPointer
    ) throws(Q8EncodingFailure) -> Q8Layout {
        if errors.count < n { errors = Array(repeating: 0, count: n) }
        var k = try chooseOutliers(values, vectors: n, hidden: h, from: 0)
        while true {
            let layout = Q8Layout(vectors: n, hidden: h, outliers: k)
            let out = reserve(layout.rawSize)
            guard let missed = write(values, layout: layout, into: out) else { return layout }
            // Rounding made a vector worse at this k than at the one that passed: raise k from here.
            k = try chooseOutliers(values, vectors: n, hidden: h, from: k + 1, startingAt: missed)
        }
    }

    /// The smallest k ≥ `start` at which vectors `first`..< n all meet the bound (k only rises).
    private func chooseOutliers(
        _ values: UnsafePointer<Float>, vectors n: Int, hidden h: Int, from start: Int,
        startingAt first: Int = 0
    ) throws(Q8EncodingFailure) -> Int {
        let limit = Q8Layout.outlierLimit(hidden: h)
        var k = start
        guard k <= limit else { throw Q8EncodingFailure(vector: first, reason: .overBound(error: Double(errors[first]), outliers: limit)) }
        for v in first..<n {
            let x = values + v * h
            for c in 0..<h where !x[c].isFinite { throw Q8EncodingFailure(vector: v, reason: .nonFinite(channel: c, value: x[c])) }
            while true {
                selectTop(x, hidden: h, count: min(k + 1, h))
                let error = vectorError(x, hidden: h, outliers: k, codes: nil)
                if error <= maxRelError { break }
                if k == limit { throw Q8EncodingFailure(vector: v, reason: .overBound(error: error, outliers: k)) }
                k += 1
            }
        }
        return k
    }

    /// Encodes every vector at `layout.outliers`; returns the first vector over the bound (nil when none).
    private func write(_ values: UnsafePointer<Float>, layout: Q8Layout, into out: UnsafeMutableRawPointer) -> Int? {
        let n = layout.vectors, h = layout.hidden, k = layout.outliers
        let bytes = out.assumingMemoryBound(to: UInt8.self)
        let scales = bytes + layout.scalesOffset, indices = bytes + layout.indicesOffset
        let outliers = bytes + layout.outlierValuesOffset, codes = bytes + layout.codesOffset
        let pairs = n * k
        for v in 0..<n {
            let x = values + v * h
            selectTop(x, hidden: h, count: min(k + 1, h))
            let code = codes + v * h
            let error = vectorError(x, hidden: h, outliers: k, codes: code)
            if error > maxRelError { return v }
            errors[v] = Float(error)
            let scale = (k < h ? topMagnitude[k] / 127 : 0).bitPattern
            for b in 0..<4 { scales[b * n + v] = UInt8(truncatingIfNeeded: scale >> (8 * b)) }
            topIndex[0..<k].sort()
            for j in 0..<k {
                let c = topIndex[j], at = v * k + j
                let value = StrataConvert.f32ToBF16(x[c])
                indices[at] = UInt8(truncatingIfNeeded: c)
                indices[pairs + at] = UInt8(truncatingIfNeeded: c >> 8)
                outliers[at] = UInt8(truncatingIfNeeded: value)
                outliers[pairs + at] = UInt8(truncatingIfNeeded: value >> 8)
            }
        }
        return nil
    }

    /// Fills `topIndex[0..<count]` with the channels of largest magnitude, largest first (the lower
    /// channel first among equals), and `topMagnitude` with their magnitudes.
    private func selectTop(_ x: UnsafePointer<Float>, hidden h: Int, count m: Int) {
        guard m > 0 else { return }
        var filled = 0
        topIndex.withUnsafeMutableBufferPointer { index in
            topMagnitude.withUnsafeMutableBufferPointer { magnitude in
                for c in 0..<h {
                    let a = abs(x[c])
                    if filled == m && !(a > magnitude[m - 1]) { continue }
                    var p = filled == m ? m - 1 : filled
                    while p > 0 && a > magnitude[p - 1] {
                        magnitude[p] = magnitude[p - 1]
                        index[p] = index[p - 1]
                        p -= 1
                    }
                    magnitude[p] = a
                    index[p] = c
                    if filled < m { filled += 1 }
                }
            }
        }
    }

    /// Relative L2 error of vector `x` encoded with its top `k` channels (already selected) as
    /// outliers; writes the int8 codes when `codes` is given. One branch-free pass quantizes every
    /// channel; the outliers' terms are then swapped for their bf16 rounding errors (and codes for 0).
    private func vectorError(_ x: UnsafePointer<Float>, hidden h: Int, outliers k: Int, codes: UnsafeMutablePointer<UInt8>?) -> Double {
        let absmax: Float = k < h ? topMagnitude[k] : 0
        let scale = absmax / 127
        let inverse: Float = absmax > 0 ? 127 / absmax : 0
        // Clamped to ±127 first, then rounded to nearest even by adding and subtracting 1.5 × 2^23 (exact
        // for |y| < 2^22 under IEEE round-to-nearest; unlike a libm rint call, it vectorizes).
        let magic: Float = 12_582_912
        @inline(__always) func code(_ value: Float) -> Float { (min(max(value * inverse, -127), 127) + magic) - magic }
        var error2 = 0.0, norm2 = 0.0
        for c in 0..<h {
            let value = x[c], q = code(value)
            let d = value - q * scale // q × scale is what a reader returns; the difference is exact or nearly so
            error2 += Double(d) * Double(d)
            norm2 += Double(value) * Double(value)
            codes?[c] = UInt8(bitPattern: Int8(q))
        }
        for j in 0..<k {
            let c = topIndex[j], value = x[c]
            let quantized = Double(value - code(value) * scale)
            let exact = Double(value) - Double(StrataConvert.bf16ToF32(StrataConvert.f32ToBF16(value)))
            error2 += exact * exact - quantized * quantized
            codes?[c] = 0
        }
        error2 = max(error2, 0)
        if norm2 == 0 { return error2 == 0 ? 0 : .infinity }
        return (error2 / norm2).squareRoot()
    }
}

/// Why a block could not be stored as q8: which of its vectors (layer-major within the block), and
/// the reason. The writer turns it into an error naming the record, layer and token.
struct Q8EncodingFailure: Error {
    enum Reason {
        /// q8 stores finite values only.
        case nonFinite(channel: Int, value: Float)
        /// The vector's relative error stays above the bound even with `outliers` exact channels.
        case overBound(error: Double, outliers: Int)
    }
    let vector: Int
    let reason: Reason

    func describe(bound: Double) -> String {
        switch reason {
        case .nonFinite(let channel, let value):
            return "channel \(channel) holds \(value); q8 stores finite values only (use bf16 or f32)"
        case .overBound(let error, let outliers):
            return "relative L2 error \(String(format: "%.4g", error)) with \(outliers) exact outlier channels is over the bound "
                + "\(String(format: "%.4g", bound)) (--max-rel-error); raise the bound or store bf16"
        }
    }
}
