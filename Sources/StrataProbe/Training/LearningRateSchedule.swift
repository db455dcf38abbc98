import Foundation

/// Linear warm-up from 0 to the peak rate over `warmupSteps`, then cosine decay to `minimumRate`
/// by `totalSteps`. Step numbers start at 0 (the rate used for the first update).
public struct CosineSchedule: Sendable, Equatable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minimumRate: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minimumRate: Float = 0) {
        self.peak = peak; self.warmupSteps = max(0, warmupSteps); self.totalSteps = max(1, totalSteps)
        self.minimumRate = minimumRate
    }

    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        return minimumRate + (peak - minimumRate) * Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}
