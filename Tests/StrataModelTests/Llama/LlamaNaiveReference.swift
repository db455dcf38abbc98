import Foundation
import StrataTestSupport
import StrataUtilities

@testable import StrataModel

/// Weights of a tiny Llama in Hugging Face layout (Q/K rows *not* permuted), `[out × in]` row-major.
struct HFLlamaWeights {
    struct Block {
        var attentionNorm, query, key, value, attentionOutput, feedForwardNorm, gate, up, down: [Float]
    }
    var embedding: [Float]
    var blocks: [Block]
    var outputNorm: [Float]
    var output: [Float]? // nil = tied

    static func random(_ c: LlamaConfig, tied: Bool, seed: UInt64) -> HFLlamaWeights {
        var random = SplitMix64(state: seed)
        let d = c.hiddenSize, ff = c.feedForwardSize
        func matrix(_ rows: Int, _ columns: Int) -> [Float] {
            random.values(rows * columns, scale: 1.7 / Float(columns).squareRoot())
        }
        let blocks = (0..<c.blockCount).map { _ in
            Block(
                attentionNorm: random.values(d, scale: 0.3, around: 1),
                query: matrix(c.queryWidth, d), key: matrix(c.keyValueWidth, d), value: matrix(c.keyValueWidth, d),
                attentionOutput: matrix(d, c.queryWidth),
                feedForwardNorm: random.values(d, scale: 0.3, around: 1),
                gate: matrix(ff, d), up: matrix(ff, d), down: matrix(d, ff))
        }
        return HFLlamaWeights(
            embedding: random.values(c.vocabularySize * d, scale: 1),
            blocks: blocks, outputNorm: random.values(d, scale: 0.3, around: 1),
            output: tied ? nil : matrix(c.vocabularySize, d))
    }

    /// The llama.cpp converter's Q/K row permutation (HF → GGUF): within each head, HF row `j·D/2 + i`
    /// becomes GGUF row `2i + j`.
    static func permuteToGGUF(_ weight: [Float], heads: Int, columns: Int) -> [Float] {
        let rows = weight.count / columns, headDimension = rows / heads, half = headDimension / 2
        var result = [Float](repeating: 0, count: weight.count)
        for head in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let hfRow = head * headDimension + j * half + i
                    let ggufRow = head * headDimension + 2 * i + j
                    for c in 0..<columns { result[ggufRow * columns + c] = weight[hfRow * columns + c] }
                }
            }
        }
        return result
    }

    /// The same model as `LlamaWeights` in GGUF order (what a converted GGUF file holds).
    func ggufWeights(_ c: LlamaConfig, ropeFrequencyFactors: [Float]? = nil) throws -> LlamaWeights {
        let d = c.hiddenSize
        let blocks = try self.blocks.enumerated().map { index, b in
            try LlamaBlockWeights(
                config: c, attentionNorm: b.attentionNorm,
                query: HFLlamaWeights.permuteToGGUF(b.query, heads: c.headCount, columns: d),
                key: HFLlamaWeights.permuteToGGUF(b.key, heads: c.keyValueHeadCount, columns: d),
                value: b.value, attentionOutput: b.attentionOutput, feedForwardNorm: b.feedForwardNorm,
                gate: b.gate, up: b.up, down: b.down, block: index)
        }
        return try LlamaWeights(
            config: c, tokenEmbedding: embedding, blocks: blocks, outputNorm: outputNorm,
            output: output, ropeFrequencyFactors: ropeFrequencyFactors)
    }
}

/// A deliberately plain Llama forward in Double, written like Hugging Face's modeling_llama (half-split
/// `rotate_half` RoPE on unpermuted weights, explicit loops, no BLAS): the reference for tiny models.
enum NaiveLlama {
    /// Rotary frequencies following Hugging Face's rope init functions (default / linear / llama3).
    static func inverseFrequencies(_ c: LlamaConfig, factors: [Float]?) -> [Double] {
        let dim = c.headDimension
        var result: [Double] = []
        for i in stride(from: 0, to: dim, by: 2) {
            var f = 1 / pow(c.ropeFrequencyBase, Double(i) / Double(dim))
            switch c.ropeScaling {
            case .none: break
            case .linear(let factor): f /= factor
            case .llama3(let factor, let low, let high, let original):
                let wavelength = 2 * Double.pi / f
                let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
                let scaled = wavelength > lowWavelength ? f / factor : f
                let isMedium = !(wavelength < highWavelength) && !(wavelength > lowWavelength)
                let smooth = (Double(original) / wavelength - low) / (high - low)
                f = isMedium ? (1 - smooth) * scaled / factor + smooth * scaled : scaled
            }
            if let factors { f /= Double(factors[i / 2]) }
            result.append(f)
        }
        return result
    }

    /// Hidden states `[L+1][T][d]` and the last-position log-softmax for one sequence.
    static func run(_ c: LlamaConfig, _ w: HFLlamaWeights, tokens: [Int32], ropeFactors: [Float]? = nil)
        -> (states: [[[Double]]], lastLogProbs: [Double])
    {
        let d = c.hiddenSize, hd = c.headDimension, T = tokens.count
        let group = c.headCount / c.keyValueHeadCount
        func matvec(_ m: [Float], _ x: [Double], rows: Int) -> [Double] {
            (0..<rows).map { r in (0..<x.count).reduce(0.0) { $0 + Double(m[r * x.count + $1]) * x[$1] } }
        }
        func rmsNorm(_ x: [Double], _ g: [Float]) -> [Double] {
            let meanSquare = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            let inv = 1 / (meanSquare + Double(c.rmsNormEpsilon)).squareRoot()
            return x.indices.map { Double(g[$0]) * x[$0] * inv }
        }
        let frequencies = inverseFrequencies(c, factors: ropeFactors)
        func rope(_ v: inout [Double], heads: Int, position: Int) {
            for h in 0..<heads {
                let base = h * hd
                let old = Array(v[base..<base + hd])
                for i in 0..<hd {
                    let angle = Double(position) * frequencies[i % (hd / 2)]
                    let rotated = i < hd / 2 ? -old[i + hd / 2] : old[i - hd / 2] // rotate_half
                    v[base + i] = old[i] * cos(angle) + rotated * sin(angle)
                }
            }
        }

        var x = tokens.map { id in (0..<d).map { Double(w.embedding[Int(id) * d + $0]) } }
        var states = [x]
        for b in w.blocks {
            let h = x.map { rmsNorm($0, b.attentionNorm) }
            var q = h.map { matvec(b.query, $0, rows: c.queryWidth) }
            var k = h.map { matvec(b.key, $0, rows: c.keyValueWidth) }
            let v = h.map { matvec(b.value, $0, rows: c.keyValueWidth) }
            for t in 0..<T {
                rope(&q[t], heads: c.headCount, position: t)
                rope(&k[t], heads: c.keyValueHeadCount, position: t)
            }
            var attention = [[Double]](repeating: [Double](repeating: 0, count: c.queryWidth), count: T)
            for head in 0..<c.headCount {
                let kvHead = head / group
                for t in 0..<T {
                    var scores = (0...t).map { s in
                        (0..<hd).reduce(0.0) { $0 + q[t][head * hd + $1] * k[s][kvHead * hd + $1] } / Double(hd).squareRoot()
                    }
                    let top = scores.max()!
                    scores = scores.map { exp($0 - top) }
                    let total = scores.reduce(0, +)
                    for s in 0...t {
                        for i in 0..<hd { attention[t][head * hd + i] += scores[s] / total * v[s][kvHead * hd + i] }
                    }
                }
            }
            for t in 0..<T {
                let o = matvec(b.attentionOutput, attention[t], rows: d)
                for i in 0..<d { x[t][i] += o[i] }
                let hn = rmsNorm(x[t], b.feedForwardNorm)
                let gate = matvec(b.gate, hn, rows: c.feedForwardSize)
                let up = matvec(b.up, hn, rows: c.feedForwardSize)
                let act = gate.indices.map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = matvec(b.down, act, rows: d)
                for i in 0..<d { x[t][i] += down[i] }
            }
            states.append(x)
        }
        states[c.blockCount] = x.map { rmsNorm($0, w.outputNorm) }
        let logits = matvec(w.output ?? w.embedding, states[c.blockCount][T - 1], rows: c.vocabularySize)
        let top = logits.max()!
        let logTotal = log(logits.reduce(0) { $0 + exp($1 - top) }) + top
        return (states, logits.map { $0 - logTotal })
    }
}

/// Collects what a forward pass streams, keyed by (layer, sequence).
final class RecordingSink: HiddenStateSink {
    var states: [Int: [Int: [Float]]] = [:] // layer → sequence → rows
    var order: [Int] = [] // layers in delivery order (one entry per call)
    var logProbs: [Int: [Float]] = [:]

    func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
        states[layer, default: [:]][sequence] = Array(rows)
        order.append(layer)
    }

    func receiveLastLogProbs(sequence: Int, logProbs: UnsafeBufferPointer<Float>) throws {
        self.logProbs[sequence] = Array(logProbs)
    }
}

/// How closely a text's hidden states packed with other texts agree with a pass of the text alone, per layer
/// (relative L2, spec/RUNTIME.md §2). The products then have other shapes, and OpenBLAS's kernels for one CPU
/// may round them differently (they do on Haswell/Zen kernels), so this is promised within a tolerance, not
/// to the bit.
let packingTolerance = 1e-5

/// ‖a − b‖ / ‖b‖ in Double.
func relativeError<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    var difference = 0.0, norm = 0.0
    for (x, y) in zip(a, b) {
        let dx = Double(x) - Double(y)
        difference += dx * dx
        norm += Double(y) * Double(y)
    }
    return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
}

/// Cosine similarity in Double.
func cosine<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    var dotProduct = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dotProduct += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dotProduct / max((na * nb).squareRoot(), .leastNormalMagnitude)
}
