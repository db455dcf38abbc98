/// The record order one rank sees in one epoch: a seeded uniform permutation of all
/// `recordCount` global record indices (or the identity, when not shuffling), of which the
/// rank owns the contiguous slice `RankPartition.positions(of:)`.
///
/// Every rank computes the same full permutation from (seed, epoch), so ranks need no
/// communication; each keeps only its own slice (4 bytes per record it owns).
public struct EpochPlan: Sendable {
    /// Records in the epoch across all ranks.
    public let recordCount: Int
    public let seed: UInt64
    public let epoch: Int
    public let shuffle: Bool
    public let partition: RankPartition
    /// When true, the last `recordCount mod world` positions of the epoch order are left out so
    /// that every rank gets exactly ⌊recordCount / world⌋ records (equal step counts for
    /// data-parallel training); shuffled, the left-out records differ from epoch to epoch.
    public let evenShares: Bool
    /// This rank's range of epoch positions.
    public let positions: Range<Int>
    /// The rank's slice of the permutation; nil when the order is sequential.
    private let order: [UInt32]?

    public init(recordCount: Int, seed: UInt64, epoch: Int, shuffle: Bool = true,
                partition: RankPartition = .whole, evenShares: Bool = false) throws {
        guard recordCount >= 0, recordCount <= Permutation.maxCount else {
            throw StreamError.tooManyRecords(recordCount)
        }
        guard epoch >= 0 else { throw StreamError.invalidEpoch(epoch) }
        self.recordCount = recordCount
        self.seed = seed
        self.epoch = epoch
        self.shuffle = shuffle
        self.partition = partition
        self.evenShares = evenShares
        positions = partition.positions(of: evenShares ? recordCount - recordCount % partition.world : recordCount)
        if shuffle {
            var generator = ShuffleKey.generator(seed: seed, domain: .streamEpoch, epoch: UInt64(epoch))
            let full = Permutation.shuffled(count: recordCount, using: &generator)
            order = positions.count == recordCount ? full : Array(full[positions])
        } else {
            order = nil
        }
    }

    /// Records this rank visits in the epoch.
    public var count: Int { positions.count }

    /// The global record index at `position` (0 ..< count) of this rank's order.
    public func globalIndex(at position: Int) -> Int {
        if let order { return Int(order[position]) }
        return positions.lowerBound + position
    }

    /// This rank's whole order as global record indices (for tests and `strata stream --ids`).
    public var globalIndices: [Int] { (0 ..< count).map(globalIndex(at:)) }
}
