import Foundation

/// Softmax over a vector with positions excluded by a mask (excluded positions act as −∞ scores).
public enum SoftmaxOps {
    /// Forward: `p_i = exp(s_i − max) / Σ_valid exp(s_j − max)` over positions with `mask[i] != 0`;
    /// excluded positions get 0. Returns log Σ exp (the log-partition), or −∞ when nothing is valid
    /// (then every `p_i` is 0). Numerically stable: the maximum valid score is subtracted first.
    @discardableResult
    public static func maskedSoftmaxForward(
        scores: UnsafePointer<Float>, mask: UnsafePointer<UInt8>?, probabilities: UnsafeMutablePointer<Float>, count n: Int
    ) -> Float {
        var maxScore = -Float.infinity
        for i in 0..<n where mask == nil || mask![i] != 0 { maxScore = max(maxScore, scores[i]) }
        if maxScore == -Float.infinity {
            probabilities.update(repeating: 0, count: n)
            return -Float.infinity
        }
        var total: Float = 0
        for i in 0..<n {
            if mask == nil || mask![i] != 0 {
                let e = expf(scores[i] - maxScore)
                probabilities[i] = e
                total += e
            } else {
                probabilities[i] = 0
            }
        }
        let inverse = 1 / total
        for i in 0..<n { probabilities[i] *= inverse }
        return maxScore + logf(total)
    }

    /// Backward: `dS_i = p_i (dP_i − Σ_j p_j dP_j)`; masked positions (p = 0) get 0. Overwrites `dScores`.
    public static func maskedSoftmaxBackward(
        probabilities p: UnsafePointer<Float>, dProbabilities dp: UnsafePointer<Float>,
        dScores: UnsafeMutablePointer<Float>, count n: Int
    ) {
        var dot: Float = 0
        for i in 0..<n { dot += p[i] * dp[i] }
        for i in 0..<n { dScores[i] = p[i] * (dp[i] - dot) }
    }
}
