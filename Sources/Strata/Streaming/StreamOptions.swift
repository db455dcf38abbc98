/// How a `StrataStream` reads: order, partition, layer subset and memory bound.
public struct StreamOptions: Sendable {
    /// Which captured layers to decode (positions in the dataset's layer list).
    public enum LayerSelection: Sendable, Equatable {
        case all
        case positions([LayerPosition])
        /// Decode no values (ids, labels and token counts only).
        case none
    }

    public var seed: UInt64 = 0
    public var epoch: Int = 0
    /// false = dataset order (each rank a contiguous range).
    public var shuffle: Bool = true
    public var rank: Int = 0
    public var world: Int = 1
    /// Give every rank exactly ⌊N / world⌋ records, leaving the last N mod world of the epoch
    /// order out (see `EpochPlan.evenShares`).
    public var evenShares: Bool = false
    /// Step-sliced partition: the rank owns its share of every window of this many positions
    /// (`StepSlices`), so data-parallel steps hold the single-process run's records. nil = contiguous.
    public var stepBatch: Int? = nil
    public var layers: LayerSelection = .all
    /// Auxiliary vectors to read with each record.
    public var auxiliary: [String] = []
    /// Upper bound on decoded value bytes held by the prefetcher (queued plus being decoded).
    /// A single record larger than the budget is still read, alone.
    public var prefetchBytes: Int = 256 << 20
    /// Background threads reading and decoding records (the consumer runs on its own thread).
    public var prefetchThreads: Int = 1

    public init() {}
}
