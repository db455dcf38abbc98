/// The position-keeping core of a stream, independent of record I/O: an `EpochPlan` over a
/// pinned prefix of a dataset's shards, plus how many of the rank's records were consumed.
/// `next()` yields global record indices; `state` serialises the cursor for exact resume.
public struct StreamCursor: Sendable {
    public let plan: EpochPlan
    /// Shards the epoch is planned over (a prefix of the dataset's shard list).
    public let shards: [ShardSummary]
    public let fingerprint: String
    /// Records of this rank's share already consumed.
    public private(set) var position: Int

    /// A fresh epoch over all of `shards`.
    public init(
        shards: [ShardSummary], seed: UInt64, epoch: Int, shuffle: Bool = true,
        partition: RankPartition = .whole, evenShares: Bool = false, stepBatch: Int? = nil
    ) throws {
        let total = shards.reduce(0) { $0 + $1.records }
        plan = try EpochPlan(
            recordCount: total, seed: seed, epoch: epoch, shuffle: shuffle, partition: partition,
            evenShares: evenShares, stepBatch: stepBatch)
        self.shards = shards
        fingerprint = DatasetFingerprint.of(shards)
        position = 0
    }

    /// Resumes `state` on a dataset whose current shard list is `shards`. The state's shard
    /// prefix must be unchanged; shards appended since are left for later epochs.
    public init(resuming state: StreamState, shards current: [ShardSummary]) throws {
        guard state.shardCount >= 0, state.position >= 0, state.epoch >= 0 else {
            throw StreamError.badState(path: "state", reason: "negative shard count, position or epoch")
        }
        guard state.shardCount <= current.count else {
            throw StreamError.datasetChanged(detail: "the state covers \(state.shardCount) shards, the dataset now has \(current.count)")
        }
        let prefix = Array(current.prefix(state.shardCount))
        let fingerprint = DatasetFingerprint.of(prefix)
        let total = prefix.reduce(0) { $0 + $1.records }
        guard fingerprint == state.fingerprint, total == state.recordCount else {
            throw StreamError.datasetChanged(
                detail:
                    "its first \(state.shardCount) shards held \(state.recordCount) records with fingerprint \(state.fingerprint); they now hold \(total) records with fingerprint \(fingerprint) — a shard was replaced, removed, resized or reordered"
            )
        }
        let partition = try RankPartition(rank: state.rank, world: state.world)
        plan = try EpochPlan(
            recordCount: total, seed: state.seed, epoch: state.epoch, shuffle: state.shuffle, partition: partition,
            evenShares: state.evenShares ?? false, stepBatch: state.stepBatch)
        guard state.position <= plan.count else {
            throw StreamError.positionOutOfRange(position: state.position, count: plan.count)
        }
        shards = prefix
        self.fingerprint = fingerprint
        position = state.position
    }

    /// Records this rank has left in the epoch.
    public var remaining: Int { plan.count - position }

    /// The next global record index, or nil at the end of the rank's epoch share.
    public mutating func next() -> Int? {
        guard position < plan.count else { return nil }
        defer { position += 1 }
        return plan.globalIndex(at: position)
    }

    /// The global index `offset` records ahead of the current position (for prefetching),
    /// or nil past the end.
    public func peek(ahead offset: Int) -> Int? {
        let target = position + offset
        guard target >= 0, target < plan.count else { return nil }
        return plan.globalIndex(at: target)
    }

    /// Marks `count` records as consumed (a prefetching reader advances the cursor as it hands
    /// records to the consumer).
    public mutating func advance(by count: Int = 1) {
        position = min(plan.count, position + count)
    }

    /// The serialisable state: resuming it yields exactly the records not yet consumed.
    public var state: StreamState {
        StreamState(
            seed: plan.seed, epoch: plan.epoch, shuffle: plan.shuffle,
            rank: plan.partition.rank, world: plan.partition.world, position: position,
            shardCount: shards.count, recordCount: plan.recordCount, fingerprint: fingerprint,
            evenShares: plan.evenShares ? true : nil, stepBatch: plan.stepBatch)
    }

    /// Checks that a state asked to resume matches what the caller requested (same seed,
    /// epoch, partition, shuffle mode, step batch); nil fields (`.none` for the step batch) are not checked.
    public static func check(
        _ state: StreamState, seed: UInt64?, epoch: Int?, rank: Int?, world: Int?, shuffle: Bool?,
        evenShares: Bool? = nil, stepBatch: Int?? = .none
    ) throws {
        if let evenShares, evenShares != (state.evenShares ?? false) {
            throw StreamError.stateMismatch(field: "even shares", state: "\(state.evenShares ?? false)", requested: "\(evenShares)")
        }
        if case let .some(stepBatch) = stepBatch, stepBatch != state.stepBatch {
            throw StreamError.stateMismatch(
                field: "step batch", state: state.stepBatch.map(String.init) ?? "none",
                requested: stepBatch.map(String.init) ?? "none")
        }
        if let seed, seed != state.seed { throw StreamError.stateMismatch(field: "seed", state: "\(state.seed)", requested: "\(seed)") }
        if let epoch, epoch != state.epoch {
            throw StreamError.stateMismatch(field: "epoch", state: "\(state.epoch)", requested: "\(epoch)")
        }
        if let rank, rank != state.rank { throw StreamError.stateMismatch(field: "rank", state: "\(state.rank)", requested: "\(rank)") }
        if let world, world != state.world {
            throw StreamError.stateMismatch(field: "world", state: "\(state.world)", requested: "\(world)")
        }
        if let shuffle, shuffle != state.shuffle {
            throw StreamError.stateMismatch(field: "shuffle", state: "\(state.shuffle)", requested: "\(shuffle)")
        }
    }
}
