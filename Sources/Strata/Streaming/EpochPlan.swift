/// The record order one rank sees in one epoch: a seeded uniform permutation of all
/// `recordCount` global record indices (or the identity, when not shuffling), of which the
/// rank owns the contiguous slice `RankPartition.positions(of:)` or, with `stepBatch`, its
/// slice of every step (`StepSlices`).
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
    /// When set, the rank owns its slice of every window of `stepBatch` positions (`StepSlices`,
    /// for data-parallel training whose steps equal the single-process run's) instead of one
    /// contiguous range.
    public let stepBatch: Int?
    /// This rank's range of epoch positions (contiguous partition; the step slices' bounding range otherwise).
    public let positions: Range<Int>
    /// Records this rank visits in the epoch.
    public let count: Int
    /// The rank's slice of the permutation (its positions, when not shuffling, for step slices);
    /// nil when the order is sequential and contiguous.
    private let order: [UInt32]?

    public init(
        recordCount: Int, seed: UInt64, epoch: Int, shuffle: Bool = true,
        partition: RankPartition = .whole, evenShares: Bool = false, stepBatch: Int? = nil
    ) throws {
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
        self.stepBatch = stepBatch
        if let stepBatch {
            guard !evenShares else {
                throw StreamError.invalidRequest("equal shares and step slices are two different partitions; ask for one")
            }
            let owned = try StepSlices(partition: partition, globalBatch: stepBatch).allPositions(of: recordCount)
            positions = (owned.first ?? 0)..<(owned.last.map { $0 + 1 } ?? 0)
            count = owned.count
            if shuffle {
                var generator = ShuffleKey.generator(seed: seed, domain: .streamEpoch, epoch: UInt64(epoch))
                let full = Permutation.shuffled(count: recordCount, using: &generator)
                order = owned.map { full[$0] }
            } else {
                order = owned.map { UInt32($0) }
            }
            return
        }
        positions = partition.positions(of: evenShares ? recordCount - recordCount % partition.world : recordCount)
        count = positions.count
        if shuffle {
            var generator = ShuffleKey.generator(seed: seed, domain: .streamEpoch, epoch: UInt64(epoch))
            let full = Permutation.shuffled(count: recordCount, using: &generator)
            order = positions.count == recordCount ? full : Array(full[positions])
        } else {
            order = nil
        }
    }

    /// The global record index at `position` (0 ..< count) of this rank's order.
    public func globalIndex(at position: Int) -> Int {
        if let order { return Int(order[position]) }
        return positions.lowerBound + position
    }

    /// This rank's whole order as global record indices (for tests and `strata stream --ids`).
    public var globalIndices: [Int] { (0..<count).map(globalIndex(at:)) }
}
