/// SplitMix64 (Steele, Lea & Flood 2014): a tiny 64-bit generator used here to expand a
/// user seed into the 256-bit state of `Xoshiro256StarStar`, and as a 64-bit mixing
/// function. Written out so that every platform, Python reference included, produces the
/// same stream for the same seed (Swift's `SystemRandomNumberGenerator` is not seedable).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// The SplitMix64 output function: a bijective avalanche of one 64-bit word.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }
}
