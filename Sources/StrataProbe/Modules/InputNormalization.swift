import Foundation

/// Parameter-free normalisation of each token vector before the token stage.
///
/// LLM residual streams carry "massive activations" (SmolLM2-135M: rms ≈ 200 and single values up
/// to 27,000 in middle layers, mostly on one channel of the first token). Raw, they saturate the
/// gate's tanh and MHA's softmax. `rms` divides every valid token vector by its root mean square
/// (RMSNorm without a learned gain): `x / √(mean(x²) + ε)`. The states are frozen, so no gradient
/// flows through it. Padded rows stay zero.
public enum InputNormalization: String, Codable, Sendable, CaseIterable {
    case none
    case rms

    static let epsilon: Float = 1e-6

    /// Writes the normalised copy of `rows` rows (width d) from `x` into `out`.
    static func rmsForward(x: UnsafePointer<Float>, rows: Int, width d: Int, mask: UnsafePointer<UInt8>, out: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            let row = x + i * d, dst = out + i * d
            if mask[i] == 0 { dst.update(repeating: 0, count: d); continue }
            let meanSquare = ElementwiseOps.dot(row, row, count: d) / Float(d)
            let scale = 1 / (meanSquare + epsilon).squareRoot()
            for j in 0..<d { dst[j] = row[j] * scale }
        }
    }
}
