import Foundation

/// AdamW (Loshchilov & Hutter) with PyTorch's update order: decoupled decay `θ ← θ(1 − lr·λ)`,
/// then the bias-corrected Adam step `θ ← θ − lr · m̂ / (√v̂ + ε)`. Decay applies only to
/// parameters the layout marks as decaying (weight matrices, not biases or gate scales).
public struct AdamW: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float
    public private(set) var step = 0
    private var m: [Float]
    private var v: [Float]
    /// Index ranges of the decaying parameters (one per layout entry, not one flag per parameter).
    private let decaying: [Range<Int>]

    public init(layout: ParameterLayout, weightDecay: Float) {
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: layout.totalCount)
        v = m
        decaying = layout.entries.filter(\.decays).map { $0.offset..<($0.offset + $0.count) }
    }

    /// First and second moment estimates (saved with the step count for exact resume).
    public var moments: (first: [Float], second: [Float]) { (m, v) }

    /// Restores a saved optimizer position (moments must match the layout's size).
    public mutating func restore(step: Int, first: [Float], second: [Float]) throws {
        guard first.count == m.count, second.count == v.count, step >= 0 else {
            throw ProbeError.shapeMismatch(what: "AdamW moments", expected: [m.count], actualCount: first.count)
        }
        self.step = step; m = first; v = second
    }

    /// One update of `parameters` from `gradients` at learning rate `lr`.
    public mutating func update(parameters: inout [Float], gradients: [Float], learningRate lr: Float) {
        step += 1
        let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
        let b1 = beta1, b2 = beta2, eps = epsilon, decay = 1 - lr * weightDecay
        let stepSize = lr / c1, c2Root = c2.squareRoot()
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        // Decay first, then the Adam step: per parameter, the same operations in the same order.
                        for range in decaying { for j in range { p[j] *= decay } }
                        for j in 0..<p.count {
                            m[j] = b1 * m[j] + (1 - b1) * g[j]
                            v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                            // PyTorch: denom = sqrt(v)/sqrt(c2) + eps; θ -= (lr/c1) · m / denom
                            p[j] -= stepSize * m[j] / (v[j].squareRoot() / c2Root + eps)
                        }
                    }
                }
            }
        }
    }
}

/// Global L2-norm gradient clipping (PyTorch's `clip_grad_norm_`): if ‖g‖ > maxNorm, scale g by
/// maxNorm / (‖g‖ + 1e-6). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
    var sum = 0.0
    for g in gradients { sum += Double(g) * Double(g) }
    let norm = Float(sum.squareRoot())
    if maxNorm > 0, norm > maxNorm {
        let s = maxNorm / (norm + 1e-6)
        for j in 0..<gradients.count { gradients[j] *= s }
    }
    return norm
}
