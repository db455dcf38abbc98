/// Shuffled, partitioned, resumable streaming over a dataset, with background prefetch
/// bounded in bytes. One `StrataStream` covers one epoch of one rank:
///
/// ```swift
/// for epoch in 0 ..< epochs {
///     var options = StreamOptions(); options.seed = 7; options.epoch = epoch
///     let stream = try StrataStream(source: StrataDataset(path: dir), options: options)
///     while let record = try stream.next() { ... }   // save stream.state to resume later
/// }
/// ```
///
/// The epoch is planned over the dataset's shards at the moment the stream is created;
/// shards appended later (a new manifest) are picked up by the next epoch's stream.
public final class StrataStream {
    public let source: StreamSource
    public let options: StreamOptions
    private var cursor: StreamCursor
    private let pipeline: PrefetchPipeline

    /// Starts the epoch `options.epoch` of rank `options.rank`, or resumes `state` (which must
    /// have been saved with the same seed, epoch, shuffle mode, rank and world as `options`).
    public init(source: StreamSource, options: StreamOptions, resume state: StreamState? = nil) throws {
        guard options.prefetchThreads >= 1, options.prefetchThreads <= 64 else {
            throw StreamError.invalidRequest("prefetch threads must be in 1...64, got \(options.prefetchThreads)")
        }
        guard options.prefetchBytes >= 1 else {
            throw StreamError.invalidRequest("prefetch budget must be positive, got \(options.prefetchBytes) bytes")
        }
        let layerCount = source.streamLayerCount
        var layers: [Int]? = nil
        var readValues = true
        switch options.layers {
        case .all: break
        case .none: readValues = false
        case let .positions(selected):
            guard !selected.isEmpty else { throw StreamError.invalidRequest("empty layer subset (use .none to skip values)") }
            for position in selected where position.rawValue < 0 || position.rawValue >= layerCount {
                throw StreamError.invalidRequest("\(position) is outside the dataset's \(layerCount) captured layers (0..<\(layerCount))")
            }
            layers = selected.rawValues
        }
        let shards = source.streamShards
        if let state {
            try StreamCursor.check(
                state, seed: options.seed, epoch: options.epoch, rank: options.rank,
                world: options.world, shuffle: options.shuffle, evenShares: options.evenShares,
                stepBatch: .some(options.stepBatch))
            cursor = try StreamCursor(resuming: state, shards: shards)
        } else {
            cursor = try StreamCursor(
                shards: shards, seed: options.seed, epoch: options.epoch, shuffle: options.shuffle,
                partition: RankPartition(rank: options.rank, world: options.world),
                evenShares: options.evenShares, stepBatch: options.stepBatch)
        }
        self.source = source
        self.options = options
        pipeline = PrefetchPipeline(
            source: source, plan: cursor.plan, start: cursor.position, layers: layers,
            readValues: readValues, auxiliary: options.auxiliary,
            budget: options.prefetchBytes, threads: options.prefetchThreads)
    }

    /// Opens the dataset at `path` (directory with manifest.json, or a shard file) and streams it.
    public convenience init(path: String, options: StreamOptions, resume state: StreamState? = nil) throws {
        try self.init(source: StrataDataset(path: path), options: options, resume: state)
    }

    deinit { pipeline.stop() }

    /// The next record of this rank's epoch, nil when the epoch share is done.
    public func next() throws -> StreamedRecord? {
        guard let record = try pipeline.take() else { return nil }
        cursor.advance()
        return record
    }

    /// Up to `maxCount` next records (fewer only at the end of the epoch share).
    public func nextBatch(_ maxCount: Int) throws -> [StreamedRecord] {
        var batch: [StreamedRecord] = []
        batch.reserveCapacity(max(0, maxCount))
        while batch.count < maxCount, let record = try next() { batch.append(record) }
        return batch
    }

    /// The resumable state: records delivered so far (not merely prefetched) count as consumed.
    public var state: StreamState { cursor.state }
    /// The epoch order of this rank.
    public var plan: EpochPlan { cursor.plan }
    /// Records of this rank's epoch share not yet delivered.
    public var remaining: Int { cursor.remaining }
    /// Decoded bytes held by the prefetcher right now (queued or being decoded).
    public var prefetchedBytes: Int { pipeline.currentBytes }
    /// The most decoded bytes the prefetcher has held at once (≤ max(budget, largest record)).
    public var peakPrefetchedBytes: Int { pipeline.peakBytesInFlight }

    /// Stops the prefetch threads; further `next()` calls throw `StreamError.closed`.
    public func close() { pipeline.stop() }
}
