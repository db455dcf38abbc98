/// SplitMix64 (Steele, Lea & Flood 2014): a tiny seeded 64-bit generator, written out so that every
/// platform, the Python reference included (`python/strata/epoch.py`), produces the same stream for the
/// same seed (Swift's `SystemRandomNumberGenerator` is not seedable). The one implementation in the
/// package: stream orders, probe initialisation, sampling and synthetic data all draw from it, and the
/// format's reference vectors (spec/DATASETS.md) pin its output.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; the next output is `mix(state + golden gamma)`.
    package var state: UInt64

    /// The step added to the state before every output (2⁶⁴ divided by the golden ratio).
    package static let goldenGamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inlinable
    package init(state: UInt64) { self.state = state }

    /// The SplitMix64 output function: a bijective avalanche of one 64-bit word.
    @inlinable
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable
    package mutating func next() -> UInt64 {
        state &+= Self.goldenGamma
        return Self.mix(state)
    }

    /// Uniform in [0, 1) with 53 random bits (the top 53 bits of one output).
    @inlinable
    package mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in [0, 1) with 24 random bits (the top 24 bits of one output).
    @inlinable
    package mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / Float(1 << 24))
    }
}
