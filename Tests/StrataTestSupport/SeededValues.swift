import StrataUtilities

// Seeded test inputs come from the package's one SplitMix64 (`StrataUtilities`), so they are the same on every
// run and platform; these are the draws tests share.

extension SplitMix64 {
    /// Uniform in [−scale, scale), from 53 random bits.
    package mutating func uniform(_ scale: Float) -> Float {
        Float(nextUnitDouble() * 2 - 1) * scale
    }

    /// `count` values uniform in [center − scale, center + scale).
    package mutating func values(_ count: Int, scale: Float, around center: Float = 0) -> [Float] {
        (0..<count).map { _ in center + uniform(scale) }
    }
}
