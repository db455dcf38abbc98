import CBLAS
import Foundation

// The numeric building blocks of the decoder forward pass, on raw row-major f32 buffers.
// Each kernel works on a range of rows so that the caller can split rows across threads.

/// `C[m×n] = A[m×k] · B[n×k]ᵀ (+ C when accumulate)`: a `Linear` layer whose weight `B` is stored
/// `[outputs × inputs]`. `lda`/`ldc` let A and C be column slices of wider row-major matrices.
@inline(__always)
func linear(
    _ a: UnsafePointer<Float>, rows m: Int, inputs k: Int, lda: Int,
    weight b: UnsafePointer<Float>, outputs n: Int,
    into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false
) {
    guard m > 0, n > 0, k > 0 else { return }
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
        1, a, Int32(lda), b, Int32(k), accumulate ? 1 : 0, c, Int32(ldc))
}

/// RMSNorm of rows `rows` of `input` (`width` wide) into `output`: `y = g ⊙ (x / sqrt(mean(x²) + ε))`.
///
/// The mean square is accumulated in Double: Llama residual streams carry a few "massive activation"
/// channels (~26,000 in SmolLM2's middle layers) next to values of order 1.
@inline(__always)
func rmsNorm(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, gain: UnsafePointer<Float>,
    width: Int, epsilon: Float, rows: Range<Int>
) {
    for row in rows {
        let x = input + row * width
        let y = output + row * width
        var sumOfSquares: Double = 0
        for i in 0..<width {
            let value = Double(x[i])
            sumOfSquares += value * value
        }
        let scale = Float(1 / (sumOfSquares / Double(width) + Double(epsilon)).squareRoot())
        for i in 0..<width {
            y[i] = gain[i] * (x[i] * scale)
        }
    }
}

/// Applies RoPE in place to `heads` heads of `headDimension` values starting at `base` in each row, rotating
/// `pairs` pairs of each head: pair `i` is `(2i, 2i+1)` for `.adjacent` (GGUF llama order) and `(i, i + pairs)`
/// for `.halves` (Hugging Face order), turned by angle `i` of the row's position.
@inline(__always)
func applyRotary(
    _ base: UnsafeMutablePointer<Float>, rowStride: Int, heads: Int, headDimension: Int,
    positions: UnsafePointer<Int32>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
    pairs: Int, pairing: DecoderArchitecture.RotaryPairing, rows: Range<Int>
) {
    // Element of pair i: first at i·step, second `partner` further on.
    let (step, partner) = pairing == .adjacent ? (2, 1) : (1, pairs)
    for row in rows {
        let position = Int(positions[row])
        let c = cos + position * pairs
        let s = sin + position * pairs
        for head in 0..<heads {
            let v = base + row * rowStride + head * headDimension
            for pair in 0..<pairs {
                let first = pair * step
                let x0 = v[first], x1 = v[first + partner]
                v[first] = x0 * c[pair] - x1 * s[pair]
                v[first + partner] = x0 * s[pair] + x1 * c[pair]
            }
        }
    }
}

/// `logit ← cap · tanh(logit / cap)` over `count` values (Gemma 2's soft-capping).
@inline(__always)
func softcap(_ values: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    for i in 0..<count { values[i] = cap * tanhf(values[i] / cap) }
}

/// The gated activation in place: for each row of `[gate | up]` (`2·width` wide), `gate ← act(gate) ⊙ up`.
/// Both activations are `g · σ(z)`: SiLU with `z = g`, PyTorch's tanh GELU with `z = 2u`,
/// `u = √(2/π)(g + 0.044715 g³)` (since `½(1 + tanh u) = σ(2u)`).
@inline(__always)
func gatedActivation(
    _ gateUp: UnsafeMutablePointer<Float>, width: Int, activation: DecoderArchitecture.Activation,
    rows: Range<Int>
) {
    switch activation {
    case .silu:
        gatedSigmoid(gateUp, width: width, rows: rows, argument: { $0 }, scalarArgument: { $0 })
    case .geluTanh:
        let c: Float = 1.595_769_1 // 2·√(2/π)
        gatedSigmoid(
            gateUp, width: width, rows: rows, argument: { g in c * (g + 0.044_715 * g * g * g) },
            scalarArgument: { g in c * (g + 0.044_715 * g * g * g) })
    }
}

/// `gate ← g / (1 + e^(−z(g))) ⊙ up`, eight lanes at a time.
@inline(__always)
private func gatedSigmoid(
    _ gateUp: UnsafeMutablePointer<Float>, width: Int, rows: Range<Int>,
    argument: (SIMD8<Float>) -> SIMD8<Float>, scalarArgument: (Float) -> Float
) {
    for row in rows {
        let gate = gateUp + row * 2 * width
        let up = gate + width
        var i = 0
        while i + 8 <= width {
            let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD8<Float>.self)
            let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD8<Float>.self)
            let z = argument(g)
            // Below −87, e^(−z) is clamped, so set g·σ(z) (< 10⁻³⁶·|g|) to its limit 0 explicitly.
            let activated = (g / (1 + exponential(-z))).replacing(with: 0, where: z .< -87)
            UnsafeMutableRawPointer(gate + i).storeBytes(of: activated * u, as: SIMD8<Float>.self)
            i += 8
        }
        while i < width {
            let g = gate[i]
            gate[i] = g / (1 + expf(-scalarArgument(g))) * up[i]
            i += 1
        }
    }
}

/// `e^x` per lane, to a few ulp of `expf`, for |x| ≤ 87; outside that the argument is clamped to ±87 (where
/// `e^x` is still a normal float), so nothing overflows to infinity or NaN.
///
/// `e^x = 2^n · e^f` with `n = round(x·log₂e)` and `f = x − n·ln 2` (ln 2 split in two parts, Cody–Waite, so
/// `f` is exact enough); `e^f` for |f| ≤ ½ln 2 from its Taylor series to degree 7 (error < 10⁻⁸ relative);
/// `2^n` is built directly in the exponent bits.
@inline(__always)
func exponential(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = pointwiseMax(pointwiseMin(x, SIMD8(repeating: 87)), SIMD8(repeating: -87))
    let magic = SIMD8<Float>(repeating: 12_582_912) // 1.5·2²³: adding it rounds to an integer
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let f = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4 // 0.693359375 = 355/512: n·C1 is exact
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * f + 1.0 / 720
    p = p * f + 1.0 / 120
    p = p * f + 1.0 / 24
    p = p * f + 1.0 / 6
    p = p * f + 0.5
    p = p * f + 1
    p = p * f + 1
    // The low bits of `shifted` hold n + 0x40_0000; move n + 127 into the exponent field.
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// Dot product of two `count`-long vectors, 16 lanes at a time. (Multiply and add are kept separate:
/// `SIMD.addProduct` becomes a scalar `fmaf` call per lane unless the target has FMA enabled.)
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var accumulator = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
        let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
        accumulator += x * y
        i += 16
    }
    var sum = accumulator.sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

/// `y += alpha · x` over `count` values, 16 lanes at a time.
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    let a = SIMD16<Float>(repeating: alpha)
    var i = 0
    while i + 16 <= count {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        var yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
        yv += a * xv
        UnsafeMutableRawPointer(y + i).storeBytes(of: yv, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// What the attention of one block does with a query's scores: scale, optional soft-cap, how far back it looks.
struct AttentionScoring {
    /// Factor on every query·key dot product.
    let scale: Float
    /// Scores become `cap · tanh(score / cap)` (after scaling, before the softmax); nil: no cap.
    let softcap: Float?
    /// Keys a query sees, itself included; nil: all earlier positions.
    let window: Int?

    /// The first key position a query at `position` sees.
    @inline(__always)
    func firstKey(for position: Int) -> Int {
        guard let window else { return 0 }
        return max(0, position - window + 1)
    }
}

/// Softmax attention of one query row over the key/value rows `keys`/`values` (`stride` apart) at positions
/// `visible`; writes `headDimension` values to `output`. `scores` is scratch of `visible.count` floats.
/// The packed pass and the KV-cache pass both use it, so a prefill through the cache equals the packed pass.
@inline(__always)
func attentionRow(
    query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    stride: Int, visible: ClosedRange<Int>, headDimension: Int, scoring: AttentionScoring,
    output: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
) {
    let first = visible.lowerBound, count = visible.count
    var maximum = -Float.infinity
    for j in 0..<count {
        let score = dot(query, keys + (first + j) * stride, headDimension) * scoring.scale
        scores[j] = score
        maximum = max(maximum, score)
    }
    if let cap = scoring.softcap {
        softcap(scores, count: count, cap: cap)
        maximum = cap * tanhf(maximum / cap) // tanh is increasing: the capped maximum is the maximum
    }
    var total: Float = 0
    for j in 0..<count {
        let weight = expf(scores[j] - maximum)
        scores[j] = weight
        total += weight
    }
    let normalizer = 1 / total
    output.update(repeating: 0, count: headDimension)
    for j in 0..<count {
        axpy(scores[j] * normalizer, values + (first + j) * stride, output, headDimension)
    }
}

/// Causal attention of one query head over one packed sequence.
///
/// `queries`, `keys` and `values` point at the head's first element in the sequence's first row; rows are
/// `rowStride` apart. Writes `tokens` output rows (`outputStride` apart). `scores` is scratch of `tokens`
/// floats.
@inline(__always)
func causalAttentionHead(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    rowStride: Int, tokens: Int, headDimension: Int, scoring: AttentionScoring,
    output: UnsafeMutablePointer<Float>, outputStride: Int,
    scores: UnsafeMutablePointer<Float>
) {
    for i in 0..<tokens {
        attentionRow(
            query: queries + i * rowStride, keys: keys, values: values, stride: rowStride,
            visible: scoring.firstKey(for: i)...i, headDimension: headDimension, scoring: scoring,
            output: output + i * outputStride, scores: scores)
    }
}

/// Log-softmax of `count` logits in place, with the normaliser summed in Double.
@inline(__always)
func logSoftmax(_ logits: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    for i in 0..<count { maximum = max(maximum, logits[i]) }
    var total: Double = 0
    for i in 0..<count { total += exp(Double(logits[i] - maximum)) }
    let shift = maximum + Float(log(total))
    for i in 0..<count { logits[i] -= shift }
}
