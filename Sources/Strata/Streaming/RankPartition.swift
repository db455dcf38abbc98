/// How the positions of one epoch are divided among `world` data-parallel workers: rank r
/// owns the contiguous position range [⌊r·n/w⌋, ⌊(r+1)·n/w⌋) of the epoch order. The ranges
/// tile 0..<n, so every record is seen exactly once per epoch across ranks; their sizes
/// differ by at most one (nothing is padded or dropped).
public struct RankPartition: Sendable, Equatable {
    public let rank: Int
    public let world: Int

    /// The largest world size accepted (keeps rank × record count far from overflow).
    public static let maxWorld = 1 << 24

    /// Validates `1 <= world <= maxWorld` and `0 <= rank < world`.
    public init(rank: Int, world: Int) throws {
        guard world >= 1, world <= RankPartition.maxWorld else {
            throw StreamError.invalidPartition(rank: rank, world: world, reason: "world size must be in 1...\(RankPartition.maxWorld)")
        }
        guard rank >= 0, rank < world else {
            throw StreamError.invalidPartition(rank: rank, world: world, reason: "rank must be in 0..<world")
        }
        self.rank = rank
        self.world = world
    }

    private init(validRank rank: Int, world: Int) {
        self.rank = rank
        self.world = world
    }

    /// The single-worker partition.
    public static let whole = RankPartition(validRank: 0, world: 1)

    /// The epoch positions this rank owns, for an epoch of `total` (≤ `Permutation.maxCount`) records.
    public func positions(of total: Int) -> Range<Int> {
        (total * rank / world)..<(total * (rank + 1) / world)
    }
}
