import Foundation
import StrataUtilities

/// Runs the forward passes of many packed batches data-parallel: `count` worker threads, each taking the
/// next batch and running a whole forward pass on it with its own `ForwardWorkspace`, all sharing the
/// model's read-only weights; the results come back to the calling thread in batch order.
///
/// On a few cores this beats one pass at a time with every matrix product split over threads: each worker's
/// OpenBLAS calls run single-threaded on the worker's own thread (no hand-off and wait per product), and the
/// steps between products (RMSNorm, RoPE, attention, SwiGLU) run in parallel with no barriers. Each worker
/// uses the model's `threads` for those steps (so make the model with `threads: 1` for one core per worker)
/// and OpenBLAS's process-wide thread count for its products (`BLASThreads`; run it at 1). OpenBLAS's
/// pthreads build locks around its shared state, so concurrent single-threaded products are safe.
///
/// Results are those of one plain `forward` call per batch, to the bit: a batch's products have the same
/// shapes and BLAS thread count whichever worker runs it, and every other value is computed on one thread.
///
/// Memory stays bounded: the workers run on an `OrderedPipeline` with a budget of `count` batches, so at most
/// `count` batches are computed or waiting for the caller, plus the one being handed to it. With one worker there are no extra threads at all: each
/// batch is computed and then delivered on the calling thread.
public final class ForwardWorkers: @unchecked Sendable {
    public let model: LlamaModel
    /// Number of workers (batches computed at once).
    public let count: Int
    private let workspaces: [ForwardWorkspace]

    public init(model: LlamaModel, count: Int) {
        self.model = model
        self.count = max(1, count)
        workspaces = (0..<self.count).map { ForwardWorkspace(threads: model.threads, index: $0) }
    }

    /// Workers when none is asked for: one per active processor.
    public static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Threads per worker when none is asked for: the processors divided among the workers (at least 1),
    /// so `workers × threads` fills the machine.
    public static func defaultThreads(workers: Int) -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, workers))
    }

    /// Runs `compute(job, workspace)` for every job in `0..<jobs` on the workers (`compute` calls
    /// `model.forward(..., workspace: workspace)`) and hands each result to `deliver(job, result)` on the
    /// calling thread, in job order.
    ///
    /// The first error in job order stops the run: jobs before the failed one are still computed and
    /// delivered (so exactly what a one-worker run delivers before the same error), no further job starts once
    /// the failed one's turn comes, running jobs are waited for, and the error of the earliest failed job is
    /// rethrown. An error thrown by `deliver` is rethrown
    /// once the running jobs are done. No worker thread outlives the call.
    public func run<Result>(
        jobs: Int, compute: @escaping (_ job: Int, _ workspace: ForwardWorkspace) throws -> Result,
        deliver: (_ job: Int, _ result: Result) throws -> Void
    ) throws {
        guard jobs > 0 else { return }
        if count == 1 {
            for job in 0..<jobs { try deliver(job, try compute(job, workspaces[0])) }
            return
        }
        // Budget `count` results of cost 1, released when taken: with the one being delivered, at most
        // `count + 1` batches are computed or waiting, as documented above.
        let workspaces = self.workspaces
        let pipeline = OrderedPipeline<Result>(
            count: jobs, threads: min(count, jobs), budget: count, name: "strata-forward",
            stoppedError: ForwardWorkersStopped(), stackSize: 8 << 20,
            cost: { _ in 1 }, workOnWorker: { job, worker in try compute(job, workspaces[worker]) })
        defer { pipeline.stop() }
        var job = 0
        while let result = try pipeline.take() {
            try deliver(job, result)
            job += 1
        }
    }
}

/// What the pipeline of `ForwardWorkers.run` throws once stopped (never reaches a caller: the run stops
/// it only on its way out).
private struct ForwardWorkersStopped: Error, CustomStringConvertible {
    var description: String { "the forward workers were stopped" }
}
