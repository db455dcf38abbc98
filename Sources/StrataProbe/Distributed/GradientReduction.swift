import StrataUtilities

/// The once-per-step reduction of data-parallel training: every rank's gradient sums, loss sum,
/// example weight and example count, summed across ranks in one call. The trainer then divides
/// by the summed weight, so ranks with unequal slices count by their examples, exactly as the
/// records would in one process. With one process it does nothing.
struct GradientReduction {
    let communicator: TrainingCommunicator
    /// Gradients followed by loss, weight and example count (f32), reused every step.
    private var buffer: [Float]

    init(communicator: TrainingCommunicator, train: BatchSource, parameterCount: Int) throws {
        self.communicator = communicator
        buffer = []
        guard communicator.world > 1 else { return }
        guard let partitioned = train as? ResumableBatchSource, partitioned.partition.world == communicator.world,
            partitioned.partition.rank == communicator.rank
        else {
            throw ProbeError.invalid(
                .distributed, value: "\(communicator.world) ranks",
                "the training source must read rank \(communicator.rank)'s slice of a \(communicator.world)-rank partition")
        }
        buffer = [Float](repeating: 0, count: parameterCount + 3)
    }

    /// Replaces each argument by its sum over all ranks.
    mutating func sum(gradients: inout [Float], loss: inout Double, weight: inout Double, examples: inout Int) throws {
        guard communicator.world > 1 else { return }
        let n = gradients.count
        buffer.withUnsafeMutableBufferPointer { b in
            gradients.withUnsafeBufferPointer { g in _ = b.update(fromContentsOf: g) }
            b[n] = Float(loss); b[n + 1] = Float(weight); b[n + 2] = Float(examples)
        }
        try communicator.sumAcrossRanks(&buffer)
        buffer.withUnsafeBufferPointer { b in
            gradients.withUnsafeMutableBufferPointer { g in _ = g.update(fromContentsOf: b[0..<n]) }
            loss = Double(b[n]); weight = Double(b[n + 1]); examples = Int(b[n + 2])
        }
    }
}
