/// How data-parallel ranks share every optimizer step of an epoch, so that the union of the
/// ranks' minibatches at step k is exactly the single-process minibatch at step k.
///
/// The epoch order is cut into windows of `globalBatch` positions (the last one shorter); step k
/// is window k = [k·B, min((k+1)·B, N)). A window of m positions is split among the w ranks in
/// rank order, rank r taking ⌊m/w⌋ positions plus one more when r < m mod w. So rank 0 always has
/// a record when the window does, shares differ by at most one, and a rank's share of a short
/// last window may be empty (it still takes part in the step's all-reduce).
public struct StepSlices: Sendable, Equatable {
    public let partition: RankPartition
    /// Records per optimizer step across all ranks (the single-process batch size).
    public let globalBatch: Int

    public init(partition: RankPartition, globalBatch: Int) throws {
        guard globalBatch >= 1 else {
            throw StreamError.invalidRequest("the global batch of a step-aligned partition must be positive, got \(globalBatch)")
        }
        self.partition = partition
        self.globalBatch = globalBatch
    }

    /// Optimizer steps in an epoch of `total` records (every rank takes all of them).
    public func stepCount(of total: Int) -> Int { (total + globalBatch - 1) / globalBatch }

    /// The epoch positions this rank owns in `step`, for an epoch of `total` records.
    public func positions(step: Int, of total: Int) -> Range<Int> {
        let start = step * globalBatch
        let width = max(0, min(globalBatch, total - start))
        let lower = start + share(before: partition.rank, of: width)
        return lower..<lower + share(of: partition.rank, inWindow: width)
    }

    /// Records this rank owns in `step`.
    public func recordCount(step: Int, of total: Int) -> Int {
        positions(step: step, of: total).count
    }

    /// Records this rank owns in the whole epoch.
    public func count(of total: Int) -> Int {
        localPosition(afterSteps: stepCount(of: total), of: total)
    }

    /// Records of this rank's order that come before `step` (its position once `steps` steps are done).
    public func localPosition(afterSteps steps: Int, of total: Int) -> Int {
        let fullWindows = total / globalBatch
        let perFullWindow = share(of: partition.rank, inWindow: globalBatch)
        let clamped = max(0, min(steps, stepCount(of: total)))
        if clamped <= fullWindows { return clamped * perFullWindow }
        return fullWindows * perFullWindow + share(of: partition.rank, inWindow: total - fullWindows * globalBatch)
    }

    /// This rank's epoch positions in order (the concatenation of its per-step slices).
    public func allPositions(of total: Int) -> [Int] {
        (0..<stepCount(of: total)).flatMap { Array(positions(step: $0, of: total)) }
    }

    private func share(of rank: Int, inWindow width: Int) -> Int {
        width / partition.world + (rank < width % partition.world ? 1 : 0)
    }

    /// Positions of a window of `width` taken by ranks before `rank`.
    private func share(before rank: Int, of width: Int) -> Int {
        rank * (width / partition.world) + min(rank, width % partition.world)
    }
}
