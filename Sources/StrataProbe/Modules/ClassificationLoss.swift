import Foundation

/// Weighted cross-entropy on logits: one logit with a sigmoid for binary tasks, C logits with a
/// softmax otherwise. Returns the example's weighted loss and writes its gradient; the caller
/// divides both by the batch's total weight (the mean PyTorch's weighted cross-entropy takes).
enum ClassificationLoss {
    static func forwardBackward(
        logits z: UnsafePointer<Float>, outputs: Int, label: Int, weight: Float, dLogits: UnsafeMutablePointer<Float>
    ) -> Double {
        if outputs == 1 {
            let y: Float = label == 1 ? 1 : 0
            dLogits[0] = weight * (ElementwiseOps.sigmoid(z[0]) - y)
            return Double(weight) * Double(ElementwiseOps.softplus(z[0]) - y * z[0])
        }
        var m = -Float.infinity
        for c in 0..<outputs { m = max(m, z[c]) }
        var total: Float = 0
        for c in 0..<outputs { total += expf(z[c] - m) }
        let lse = m + logf(total)
        for c in 0..<outputs { dLogits[c] = weight * (expf(z[c] - lse) - (c == label ? 1 : 0)) }
        return Double(weight) * Double(lse - z[label])
    }

    /// Class probabilities from logits: `[1 − σ(z), σ(z)]` for one logit, softmax otherwise.
    static func probabilities(logits z: UnsafePointer<Float>, outputs: Int, into p: UnsafeMutablePointer<Float>) {
        if outputs == 1 {
            let s = ElementwiseOps.sigmoid(z[0])
            p[0] = 1 - s
            p[1] = s
            return
        }
        var m = -Float.infinity
        for c in 0..<outputs { m = max(m, z[c]) }
        var total: Float = 0
        for c in 0..<outputs { p[c] = expf(z[c] - m); total += p[c] }
        for c in 0..<outputs { p[c] /= total }
    }
}
