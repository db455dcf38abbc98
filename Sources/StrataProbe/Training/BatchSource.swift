/// Something that yields minibatches for training and evaluation. The trainer only sees this
/// protocol, so the dataset adapter can be swapped for another reader.
public protocol BatchSource: AnyObject {
    /// Number of records.
    var count: Int { get }
    /// Primary label of every record (−1 = unlabelled), in record order; used for class weights.
    var labels: [Int] { get }
    /// Batches for one pass. With `shuffle`, the record order is a permutation seeded by
    /// (`seed`, `epoch`); without, records come in order. Each logical minibatch holds `batchSize`
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

/// The record order of one pass: a permutation seeded by (seed, epoch), or the identity.
public func epochOrder(count: Int, epoch: Int, shuffle: Bool, seed: UInt64) -> [Int] {
    guard shuffle else { return Array(0..<count) }
    var rng = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch) &* 0xD1B5_4A32_D192_ED03 &+ 1)
    return rng.permutation(count)
}
