import CBLAS
import Foundation

/// L2-regularised logistic regression fitted by L-BFGS in double precision on feature vectors in
/// memory: one logit and a sigmoid for two classes, C logits and a softmax otherwise (the probe
/// head's shape). It minimises scikit-learn's `LogisticRegression` objective
/// `Σ_i s_i·ℓ_i + ‖W‖²/(2C)` (sample weights s_i = class weights, bias not penalised), divided by
/// `Σ_i s_i` so that the stopping tolerance does not depend on the data size.
public struct LogisticRegression: Sendable {
    public let width: Int
    /// Logits: 1 for binary tasks, C otherwise.
    public let outputs: Int
    /// outputs × width, row-major (the layout of the probe's `head.weight`).
    public var weights: [Double]
    public var bias: [Double]

    /// How a fit ended.
    public struct Fit: Sendable {
        public var model: LogisticRegression
        public var iterations: Int
        /// The largest gradient component fell below the tolerance.
        public var converged: Bool
        /// The (scaled) objective at the end.
        public var objective: Double
    }

    public init(width: Int, outputs: Int) {
        self.width = width; self.outputs = outputs
        weights = [Double](repeating: 0, count: width * outputs)
        bias = [Double](repeating: 0, count: outputs)
    }

    /// Fits on `features` (n × width, row-major) and `labels` (0..<classes; every label must be valid).
    /// - Parameters:
    ///   - inverseRegularization: scikit-learn's C (> 0).
    ///   - start: warm start (e.g. the fit at the previous C of a grid).
    public static func fit(
        features: FeatureMatrix, labels: [Int], sampleWeights: [Double], classes: Int, inverseRegularization c: Double,
        start: LogisticRegression? = nil, tolerance: Double = 1e-6, maxIterations: Int = 1000
    ) -> Fit {
        let outputs = classes == 2 ? 1 : classes
        var objective = Objective(x: features, labels: labels, weights: sampleWeights, outputs: outputs, c: c)
        var model = start ?? LogisticRegression(width: features.width, outputs: outputs)
        var theta = model.weights + model.bias
        let result = LBFGS.minimize(&theta, tolerance: tolerance, maxIterations: maxIterations) { objective.evaluate($0, gradient: &$1) }
        model.weights = Array(theta[0..<(outputs * features.width)])
        model.bias = Array(theta[(outputs * features.width)...])
        return Fit(model: model, iterations: result.iterations, converged: result.converged, objective: result.value)
    }

    /// n × outputs logits.
    public func logits(_ x: FeatureMatrix) -> [Double] {
        var z = [Double](repeating: 0, count: x.rows * outputs)
        LogisticRegression.linear(x, weights: weights, bias: bias, outputs: outputs, into: &z)
        return z
    }

    /// n × C class probabilities (`[1 − σ(z), σ(z)]` for one logit), as f32 like the probes' predictions.
    public func probabilities(_ x: FeatureMatrix) -> [Float] {
        let z = logits(x)
        let classes = outputs == 1 ? 2 : outputs
        var p = [Float](repeating: 0, count: x.rows * classes)
        let zf = z.map { Float($0) }
        zf.withUnsafeBufferPointer { zp in
            p.withUnsafeMutableBufferPointer { pp in
                for i in 0..<x.rows {
                    ClassificationLoss.probabilities(
                        logits: zp.baseAddress! + i * outputs, outputs: outputs, into: pp.baseAddress! + i * classes)
                }
            }
        }
        return p
    }

    /// z = X·Wᵀ + b.
    static func linear(_ x: FeatureMatrix, weights: [Double], bias: [Double], outputs: Int, into z: inout [Double]) {
        guard x.rows > 0 else { return }
        x.values.withUnsafeBufferPointer { xp in
            weights.withUnsafeBufferPointer { wp in
                z.withUnsafeMutableBufferPointer { zp in
                    cblas_dgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(x.rows), Int32(outputs), Int32(x.width), 1,
                        xp.baseAddress, Int32(x.width), wp.baseAddress, Int32(x.width), 0, zp.baseAddress, Int32(outputs))
                    for i in 0..<x.rows { for k in 0..<outputs { zp[i * outputs + k] += bias[k] } }
                }
            }
        }
    }

    /// The scaled objective and its gradient over θ = [W (row-major), b].
    struct Objective {
        let x: FeatureMatrix
        let labels: [Int]
        let weights: [Double]
        let outputs: Int
        let c: Double
        let totalWeight: Double
        var z: [Double]

        init(x: FeatureMatrix, labels: [Int], weights: [Double], outputs: Int, c: Double) {
            self.x = x; self.labels = labels; self.weights = weights; self.outputs = outputs; self.c = c
            totalWeight = max(weights.reduce(0, +), .leastNormalMagnitude)
            z = [Double](repeating: 0, count: x.rows * outputs)
        }

        mutating func evaluate(_ theta: [Double], gradient g: inout [Double]) -> Double {
            let d = x.width, nw = outputs * d
            let w = Array(theta[0..<nw]), b = Array(theta[nw...])
            LogisticRegression.linear(x, weights: w, bias: b, outputs: outputs, into: &z)
            var loss = 0.0
            var bGrad = [Double](repeating: 0, count: outputs)
            // Residuals overwrite z: r = s·(p − onehot(y)).
            for i in 0..<x.rows {
                let s = weights[i], y = labels[i]
                if outputs == 1 {
                    let zi = z[i], t: Double = y == 1 ? 1 : 0
                    loss += s * (softplus(zi) - t * zi)
                    z[i] = s * (sigmoid(zi) - t)
                    bGrad[0] += z[i]
                } else {
                    let row = i * outputs
                    var m = -Double.infinity
                    for k in 0..<outputs { m = Swift.max(m, z[row + k]) }
                    var total = 0.0
                    for k in 0..<outputs { total += Foundation.exp(z[row + k] - m) }
                    let lse = m + Foundation.log(total)
                    loss += s * (lse - z[row + y])
                    for k in 0..<outputs {
                        z[row + k] = s * (Foundation.exp(z[row + k] - lse) - (k == y ? 1 : 0))
                        bGrad[k] += z[row + k]
                    }
                }
            }
            // ∇W = Rᵀ·X + W/C.
            for j in 0..<nw { g[j] = w[j] / c }
            if x.rows > 0 {
                x.values.withUnsafeBufferPointer { xp in
                    z.withUnsafeBufferPointer { rp in
                        g.withUnsafeMutableBufferPointer { gp in
                            cblas_dgemm(
                                CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputs), Int32(d), Int32(x.rows), 1,
                                rp.baseAddress, Int32(outputs), xp.baseAddress, Int32(d), 1, gp.baseAddress, Int32(d))
                        }
                    }
                }
            }
            var penalty = 0.0
            for j in 0..<nw { penalty += w[j] * w[j] }
            let scale = 1 / totalWeight
            for j in 0..<nw { g[j] *= scale }
            for k in 0..<outputs { g[nw + k] = bGrad[k] * scale }
            return (loss + penalty / (2 * c)) * scale
        }

        private func softplus(_ v: Double) -> Double {
            v > 0 ? v + Foundation.log1p(Foundation.exp(-v)) : Foundation.log1p(Foundation.exp(v))
        }
        private func sigmoid(_ v: Double) -> Double { v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v)) }
    }
}

/// Feature vectors in double precision, row-major (rows × width).
public struct FeatureMatrix: Sendable {
    public let rows: Int
    public let width: Int
    public let values: [Double]

    public init(rows: Int, width: Int, values: [Double]) {
        precondition(values.count == rows * width, "FeatureMatrix: \(values.count) values for \(rows) × \(width)")
        self.rows = rows; self.width = width; self.values = values
    }

    /// The rows of `features` (count × width f32) whose index is in `keep`, widened to f64.
    public init(features: [Float], width: Int, keep: [Int]) {
        var v = [Double](repeating: 0, count: keep.count * width)
        for (r, i) in keep.enumerated() { for j in 0..<width { v[r * width + j] = Double(features[i * width + j]) } }
        self.init(rows: keep.count, width: width, values: v)
    }
}
