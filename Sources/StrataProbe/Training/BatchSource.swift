import Strata

/// Something that yields minibatches for training and evaluation. The trainer only sees this
/// protocol; `RecordBatchSource` is the reader behind it (datasets, in-memory records, pooled features).
public protocol BatchSource: AnyObject {
    /// Number of records.
    var count: Int { get }
    /// Primary label of every record (−1 = unlabelled), in record order; used for class weights.
    var labels: [Int] { get }
    /// Batches for one pass. With `shuffle`, the record order is a permutation seeded by
    /// (`seed`, `epoch`) (the `EpochPlan` of `strata stream`); without, records come in order. Each logical minibatch holds `batchSize`
    /// records (the last may be smaller) and may arrive as several chunks; the last chunk of each
    /// minibatch has `endsStep = true`.
    func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream
}

/// A pass over a `BatchSource`.
public protocol BatchStream: AnyObject {
    /// The next chunk, or nil at the end of the pass.
    func next() throws -> Batch?
    /// Stops background work early (idempotent).
    func close()
}

/// A batch source whose passes can be saved and resumed exactly: at a step boundary the
/// stream's `state` says which records of the epoch were consumed.
public protocol ResumableBatchSource: BatchSource {
    /// Records of one epoch across all ranks: the steps per epoch follow from it and the global batch.
    var recordsPerEpoch: Int { get }
    /// Which rank of how many data-parallel ranks this process is. With more than one, each pass
    /// reads this rank's slice of every step (`StepSlices`, global batch = `batchSize`), yielding a
    /// chunk that ends each step even where the slice is empty.
    var partition: RankPartition { get }
    /// A pass over epoch `epoch`, starting where `resume` left off (nil = from the start).
    func makeResumableStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int, resume: StreamState?) throws -> ResumableBatchStream
}

/// A pass whose position can be saved.
public protocol ResumableBatchStream: BatchStream {
    /// Records consumed so far (exact at step boundaries, i.e. after a chunk with `endsStep`).
    var state: StreamState { get }
}
