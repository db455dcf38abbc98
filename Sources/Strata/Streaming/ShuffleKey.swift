import StrataUtilities

/// Derives the generator seed of one shuffle from a user seed, a purpose (domain) and an
/// epoch, so that the epoch-0 stream order, epoch 1, and a dataset split made with the
/// same `--seed` are unrelated permutations.
///
/// generatorSeed = SplitMix64.mix(SplitMix64.mix(seed ^ domain) &+ epoch &* 0x9E3779B97F4A7C15)
public enum ShuffleDomain: UInt64, Sendable {
    /// Per-epoch record order of `StrataStream` / `strata stream`.
    case streamEpoch = 0x5354_5245_414D_0001 // "STREAM" + 1
    /// Record assignment of `strata split`.
    case split = 0x5350_4C49_5400_0002 // "SPLIT" + 2
}

public enum ShuffleKey {
    /// The 64-bit seed handed to `Xoshiro256StarStar` for (seed, domain, epoch).
    public static func generatorSeed(seed: UInt64, domain: ShuffleDomain, epoch: UInt64) -> UInt64 {
        let base = SplitMix64.mix(seed ^ domain.rawValue)
        return SplitMix64.mix(base &+ epoch &* SplitMix64.goldenGamma)
    }

    /// A generator ready to draw the shuffle for (seed, domain, epoch).
    public static func generator(seed: UInt64, domain: ShuffleDomain, epoch: UInt64) -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: generatorSeed(seed: seed, domain: domain, epoch: epoch))
    }
}
