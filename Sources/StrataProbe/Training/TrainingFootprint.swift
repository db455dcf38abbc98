import Foundation

/// What a training run holds besides hidden-state data, for the whole run: `strata train` reserves
/// it out of `--memory-budget` before splitting the rest into chunks, queue and caches
/// (`MemoryBudget.reservedBytes`), so the budget bounds the probe's memory as well as the data's.
///
/// - Parameter state: 4 bytes × P for the parameters, the best epoch's parameters, the gradient sum
///   (which worker 0 adds to directly), AdamW's two moments and one gradient sum per further worker:
///   (4 + W) · 4P. The MHA probe on SmolLM2 (H = 4: P = 1.48M) with 2 workers: 34 MiB; the gate
///   (P = 19k): 0.4 MiB.
/// - Worker workspaces: `Probe.workspaceBytes` for the longest record, per worker (the MHA probe's
///   attention scores grow with the square of the record length).
public struct TrainingFootprint: Sendable, Equatable, CustomStringConvertible {
    public var parameterStateBytes: Int
    public var workspaceBytes: Int
    public var workers: Int

    public var bytes: Int { parameterStateBytes + workspaceBytes }

    /// - Parameters:
    ///   - workers: threads that train or predict examples in parallel (`Probe.workerCount`).
    ///   - longestRecord: tokens of the longest training or validation record.
    public init(probe: Probe, workers: Int, longestRecord tokens: Int) {
        let p = probe.parameterCount, w = max(1, workers)
        self.workers = w
        parameterStateBytes = p * MemoryLayout<Float>.stride * (4 + w)
        workspaceBytes = w * probe.workspaceBytes(tokens: tokens)
    }

    public var description: String {
        String(
            format: "%.1fMB (parameters, gradients and optimizer state %.1fMB, workspaces of %d workers %.1fMB)",
            Double(bytes) / 1_048_576, Double(parameterStateBytes) / 1_048_576, workers, Double(workspaceBytes) / 1_048_576)
    }
}
