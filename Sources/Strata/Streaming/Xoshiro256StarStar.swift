import StrataUtilities

/// xoshiro256** 1.0 (Blackman & Vigna 2018): the generator behind every shuffle in Strata
/// (epoch permutations, dataset splits). Its state is seeded from `ShuffleKey` through
/// `SplitMix64`, as the authors recommend, so it is never all zero.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// Seeds the four state words with four successive outputs of SplitMix64(seed).
    public init(seed: UInt64) {
        var expander = SplitMix64(state: seed)
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
    }

    /// Starts from a raw state (for reference test vectors); the state must not be all zero.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = Xoshiro256StarStar.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Xoshiro256StarStar.rotl(s3, 45)
        return result
    }

    /// An unbiased integer in `0 ..< bound` (Lemire 2019, "Fast random integer generation
    /// in an interval"): one multiply in the common case, rejection only on the rare
    /// biased low products. `bound` must be positive.
    @inlinable
    public mutating func bounded(_ bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }
}
