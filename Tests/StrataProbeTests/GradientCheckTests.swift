import Testing

@testable import StrataProbe

/// Finite-difference checks of every module's backward, on small random inputs with padding.
///
/// Tolerance: central differences `(f(θ+h) − f(θ−h)) / 2h` with h = 1e-3, evaluated in f32 with the
/// scalar loss summed in f64. Truncation error is O(h²·f''') ≈ 1e-6; f32 rounding of an O(1) loss is
/// ≈ 1e-6 relative per evaluation, i.e. ≈ 1e-6/2h ≈ 5e-4 on the quotient. We accept
/// |analytic − numeric| ≤ 3e-3 + 1e-2·max(|analytic|, |numeric|), which is ~6× that noise floor and
/// still catches a wrong factor, sign, transpose or missing term (those give O(1) relative errors).
/// Padded rows must have an analytic gradient of exactly 0 and must leave the loss bit-identical.
enum GradCheck {
    static let h: Float = 1e-3

    static func close(_ a: Double, _ n: Double) -> Bool {
        abs(a - n) <= 3e-3 + 1e-2 * max(abs(a), abs(n))
    }

    static func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.normal() * scale }
    }
}

struct ModuleCase: CustomStringConvertible {
    let kind: AggregatorKind
    let mask: [UInt8]?
    var description: String { "\(kind) mask=\(mask.map { $0.map(String.init).joined() } ?? "none")" }
}

private let moduleCases: [ModuleCase] = {
    let kinds: [AggregatorKind] = [
        .pool(.mean), .pool(.max), .lastRow, .gate(learnableScale: false), .gate(learnableScale: true),
        .attention(heads: 2, inner: 4, pool: .mean), .attention(heads: 2, inner: 4, pool: .max),
        .attention(heads: 1, inner: 3, pool: .mean)
    ]
    let masks: [[UInt8]?] = [[1, 1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 0, 1, 0], nil]
    return kinds.flatMap { k in masks.map { ModuleCase(kind: k, mask: $0) } }
}()

@Test("module backward matches central differences, padding excluded", arguments: moduleCases)
func moduleGradientCheck(_ c: ModuleCase) throws {
    let n = 7, d = 6
    var layout = ParameterLayout()
    let module = SetAggregator(kind: c.kind, width: d, name: "m", layout: &layout)
    var params = [Float](repeating: 0, count: max(layout.totalCount, 1))
    var rng = SeededGenerator(seed: 11)
    params.withUnsafeMutableBufferPointer { module.initialize($0.baseAddress!, rng: &rng) }
    // larger gate weights so that tanh is not in its linear regime
    if case .gate = c.kind { for j in 0..<d { params[j] *= 3 } }
    if case .gate(true) = c.kind { params[d] = 1.7 }
    var x = GradCheck.random(n * d, seed: 5)
    let r = GradCheck.random(d, seed: 9)
    let cache = AggregatorCache(), shared = SharedScratch()

    func loss() -> Double {
        var out = [Float](repeating: 0, count: d)
        x.withUnsafeBufferPointer { xb in
            params.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { ob in
                    let m = c.mask
                    m.map { mm in
                        mm.withUnsafeBufferPointer { mb in
                            module.forward(
                                x: xb.baseAddress!, rows: n, mask: mb.baseAddress, params: pb.baseAddress!, cache: cache, shared: shared,
                                out: ob.baseAddress!)
                        }
                    }
                        ?? module.forward(
                            x: xb.baseAddress!, rows: n, mask: nil, params: pb.baseAddress!, cache: cache, shared: shared,
                            out: ob.baseAddress!)
                }
            }
        }
        return zip(out, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    // analytic
    _ = loss()
    var grads = [Float](repeating: 0, count: params.count), dX = [Float](repeating: 0, count: n * d)
    x.withUnsafeBufferPointer { xb in
        params.withUnsafeBufferPointer { pb in
            grads.withUnsafeMutableBufferPointer { gb in
                dX.withUnsafeMutableBufferPointer { db in
                    r.withUnsafeBufferPointer { rb in
                        if let m = c.mask {
                            m.withUnsafeBufferPointer { mb in
                                module.backward(
                                    x: xb.baseAddress!, rows: n, mask: mb.baseAddress, params: pb.baseAddress!, cache: cache,
                                    shared: shared, dOut: rb.baseAddress!, grads: gb.baseAddress!, dX: db.baseAddress!)
                            }
                        } else {
                            module.backward(
                                x: xb.baseAddress!, rows: n, mask: nil, params: pb.baseAddress!, cache: cache, shared: shared,
                                dOut: rb.baseAddress!, grads: gb.baseAddress!, dX: db.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    for j in 0..<module.parameterCount {
        let saved = params[j]
        params[j] = saved + GradCheck.h; let up = loss()
        params[j] = saved - GradCheck.h; let down = loss()
        params[j] = saved
        let numeric = (up - down) / Double(2 * GradCheck.h)
        #expect(GradCheck.close(Double(grads[j]), numeric), "param \(j): analytic \(grads[j]) numeric \(numeric)")
    }
    let base = loss()
    for i in 0..<n {
        let padded = c.mask.map { $0[i] == 0 } ?? false
        for j in 0..<d {
            let k = i * d + j, saved = x[k]
            x[k] = saved + GradCheck.h; let up = loss()
            x[k] = saved - GradCheck.h; let down = loss()
            x[k] = saved
            if padded {
                #expect(dX[k] == 0, "padded row \(i) got gradient \(dX[k])")
                #expect(up == base && down == base, "padded row \(i) changed the output")
            } else {
                let numeric = (up - down) / Double(2 * GradCheck.h)
                #expect(GradCheck.close(Double(dX[k]), numeric), "x[\(i),\(j)]: analytic \(dX[k]) numeric \(numeric)")
            }
        }
    }
}

struct ProbeCase: CustomStringConvertible {
    let kind: ProbeKind
    let classes: Int
    let weights: [Float]?
    var norm: InputNormalization = .none
    var description: String { "\(kind.rawValue) C=\(classes) weights=\(weights.map { "\($0)" } ?? "none") norm=\(norm)" }
}

@Test(
    "whole probe gradient (loss through head, layer stage, token stage) matches central differences",
    arguments: [
        ProbeCase(kind: .pooling, classes: 2, weights: nil), ProbeCase(kind: .gate, classes: 2, weights: [1, 3]),
        ProbeCase(kind: .gate, classes: 3, weights: nil), ProbeCase(kind: .mha, classes: 2, weights: nil),
        ProbeCase(kind: .mha, classes: 3, weights: [0.5, 1, 2]), ProbeCase(kind: .lastToken, classes: 2, weights: nil),
        ProbeCase(kind: .meanLast, classes: 3, weights: nil), ProbeCase(kind: .logits, classes: 2, weights: nil),
        ProbeCase(kind: .gate, classes: 2, weights: nil, norm: .rms), ProbeCase(kind: .mha, classes: 3, weights: nil, norm: .rms)
    ])
func probeGradientCheck(_ c: ProbeCase) throws {
    let d = 8, L = c.kind.readsOneLayer ? 1 : 3, T = 6, B = 3
    let config = ProbeConfiguration(
        kind: c.kind, hidden: d, layers: Array(0..<L), classes: c.classes, tokenPool: .max, layerPool: .mean,
        heads: 2, downcast: 2, gateScale: c.kind == .gate, inputNormalization: c.norm, featureName: c.kind == .logits ? "lp" : nil,
        featureWidth: c.kind == .logits ? 10 : nil)
    let probe = try Probe(configuration: config, seed: 3)
    let lengths = [6, 4, 2]
    var mask = [UInt8](repeating: 0, count: B * T)
    for b in 0..<B { for t in 0..<lengths[b] { mask[b * T + t] = 1 } }
    var values = GradCheck.random(B * L * T * d, seed: 21)
    for b in 0..<B { for l in 0..<L { for t in lengths[b]..<T { for j in 0..<d { values[((b * L + l) * T + t) * d + j] = 0 } } } }
    let batch = Batch(
        count: B, layers: L, tokens: T, hidden: d, values: values, mask: mask, labels: [1, 0, c.classes - 1],
        ids: ["a", "b", "c"], featureWidth: c.kind == .logits ? 10 : 0,
        features: c.kind == .logits ? GradCheck.random(B * 10, seed: 4) : [])
    func loss() throws -> Double {
        var g = [Float](repeating: 0, count: probe.parameterCount)
        let r = try probe.accumulateGradients(batch: batch, classWeights: c.weights, gradients: &g, workers: 1)
        return r.loss
    }
    var grads = [Float](repeating: 0, count: probe.parameterCount)
    _ = try probe.accumulateGradients(batch: batch, classWeights: c.weights, gradients: &grads, workers: 2)
    // a sample of parameters (all when small) to keep the test fast
    let stride = max(1, probe.parameterCount / 150)
    for j in Swift.stride(from: 0, to: probe.parameterCount, by: stride) {
        let saved = probe.parameters[j]
        probe.parameters[j] = saved + GradCheck.h; let up = try loss()
        probe.parameters[j] = saved - GradCheck.h; let down = try loss()
        probe.parameters[j] = saved
        let numeric = (up - down) / Double(2 * GradCheck.h)
        #expect(GradCheck.close(Double(grads[j]), numeric), "\(c) param \(j): analytic \(grads[j]) numeric \(numeric)")
    }
}

@Test("gradient sums do not depend on the number of worker threads beyond rounding")
func workerCountInvariance() throws {
    let config = ProbeConfiguration(kind: .mha, hidden: 8, layers: [0, 1], classes: 2, heads: 2, downcast: 2)
    let probe = try Probe(configuration: config, seed: 1)
    let B = 5, T = 4
    let batch = Batch(
        count: B, layers: 2, tokens: T, hidden: 8, values: GradCheck.random(B * 2 * T * 8, seed: 2),
        mask: [UInt8](repeating: 1, count: B * T), labels: [0, 1, 1, 0, 1], ids: (0..<B).map(String.init))
    var g1 = [Float](repeating: 0, count: probe.parameterCount), g2 = g1, g1b = g1
    let r1 = try probe.accumulateGradients(batch: batch, classWeights: nil, gradients: &g1, workers: 1)
    let r2 = try probe.accumulateGradients(batch: batch, classWeights: nil, gradients: &g2, workers: 2)
    _ = try probe.accumulateGradients(batch: batch, classWeights: nil, gradients: &g1b, workers: 1)
    #expect(abs(r1.loss - r2.loss) < 1e-5)
    #expect(g1 == g1b, "same worker count must be bit-identical")
    for j in 0..<g1.count { #expect(abs(g1[j] - g2[j]) <= 1e-5 + 1e-4 * abs(g1[j])) }
}

@Test("rms input normalisation makes predictions invariant to each token's scale (massive activations)")
func rmsNormalisationIsScaleInvariant() throws {
    let d = 8, L = 2, T = 5
    for kind in [ProbeKind.gate, .mha, .pooling] {
        let probe = try Probe(
            configuration: ProbeConfiguration(
                kind: kind, hidden: d, layers: [0, 1], classes: 2, heads: 2, downcast: 2,
                inputNormalization: .rms), seed: 2)
        let values = GradCheck.random(L * T * d, seed: 8)
        var scaled = values
        for t in 0..<T { for l in 0..<L { for j in 0..<d { scaled[(l * T + t) * d + j] *= Float(t + 1) * 1000 } } }
        let mask = [UInt8](repeating: 1, count: T)
        let a = try probe.predict(
            batch: Batch(count: 1, layers: L, tokens: T, hidden: d, values: values, mask: mask, labels: [0], ids: ["x"]))
        let b = try probe.predict(
            batch: Batch(count: 1, layers: L, tokens: T, hidden: d, values: scaled, mask: mask, labels: [0], ids: ["x"]))
        #expect(abs(a.probabilities[1] - b.probabilities[1]) < 1e-5, "\(kind)")
    }
}
