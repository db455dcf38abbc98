import StrataUtilities

/// How the ranks of a data-parallel training run combine what each of them computed. The
/// trainer calls it at the same points on every rank (once per optimizer step, once per
/// validation pass), from the thread that runs `Trainer.fit`.
public protocol TrainingCommunicator: AnyObject {
    /// This process's rank, 0 ..< world.
    var rank: Int { get }
    /// Number of ranks.
    var world: Int { get }
    /// Replaces `values` on every rank with their elementwise sum over all ranks.
    func sumAcrossRanks(_ values: inout [Float]) throws
}

/// The communicator of a run with one process: sums are the values themselves.
public final class SingleProcessCommunicator: TrainingCommunicator {
    public init() {}
    public var rank: Int { 0 }
    public var world: Int { 1 }
    public func sumAcrossRanks(_ values: inout [Float]) throws {}
}

extension TrainingCommunicator {
    /// Every rank's `local` values, concatenated in rank order, on every rank. Built from one sum of
    /// per-rank counts and one sum of zero-padded slots, so each value arrives unchanged (x + 0 = x).
    /// Counts travel as f32, so every rank's share and the total stay below 2^24 values.
    public func gatherInRankOrder(_ local: [Float]) throws -> [Float] {
        guard world > 1 else { return local }
        let limit = 1 << 24
        var counts = [Float](repeating: 0, count: world)
        counts[rank] = Float(local.count)
        try sumAcrossRanks(&counts)
        let sizes = counts.map { Int($0) }
        guard sizes.reduce(0, +) < limit else {
            throw ProbeError.invalid(
                .validationData, value: "\(sizes.reduce(0, +)) values",
                "gathering validation outputs across ranks is limited to \(limit) values (records × classes)")
        }
        let offset = sizes[..<rank].reduce(0, +)
        var all = [Float](repeating: 0, count: sizes.reduce(0, +))
        all.replaceSubrange(offset..<offset + local.count, with: local)
        try sumAcrossRanks(&all)
        return all
    }

    /// A validation pass's output, gathered from every rank's share (rank order): what the trainer
    /// computes metrics on, identical on every rank. Record ids stay local (metrics do not use them).
    public func gather(_ output: EvaluationOutput) throws -> EvaluationOutput {
        guard world > 1 else { return output }
        var all = output
        all.probabilities = try gatherInRankOrder(output.probabilities)
        all.labels = try gatherInRankOrder(output.labels.map(Float.init)).map { Int($0) }
        all.layerWeights = try output.layerWeights.map { try gatherInRankOrder($0) }
        all.ids = []
        return all
    }
}
