import Foundation

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
/// Memory stays bounded: a worker starts batch k only while fewer than `count + 1` batches are computed or
/// waiting for, or being handed to, the caller. With one worker there are no extra threads at all: each
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
    /// The first error stops the run: no new job starts, jobs before the failed one are still computed and
    /// delivered (so exactly what a one-worker run delivers before the same error), running jobs are waited
    /// for, and the error of the earliest failed job is rethrown. An error thrown by `deliver` is rethrown
    /// once the running jobs are done. No worker thread outlives the call.
    public func run<Result>(jobs: Int, compute: @escaping (_ job: Int, _ workspace: ForwardWorkspace) throws -> Result,
                            deliver: (_ job: Int, _ result: Result) throws -> Void) throws {
        guard jobs > 0 else { return }
        if count == 1 {
            for job in 0..<jobs { try deliver(job, try compute(job, workspaces[0])) }
            return
        }
        let queue = OrderedJobQueue<Result>(jobs: jobs, window: count + 1)
        let started = min(count, jobs)
        for worker in 0..<started {
            let workspace = workspaces[worker]
            let thread = Thread {
                while let job = queue.next() {
                    do {
                        queue.complete(job, with: try compute(job, workspace))
                    } catch {
                        queue.fail(job, error)
                    }
                }
                queue.workerExited()
            }
            thread.name = "strata-forward-\(worker)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        defer { queue.waitForWorkers(started) }
        for job in 0..<jobs {
            let result = try queue.take(job)
            do {
                try deliver(job, result)
            } catch {
                queue.stop()
                throw error
            }
            queue.delivered(job)
        }
    }
}

/// The hand-over between `ForwardWorkers`' threads: jobs go out in order while fewer than `window` are
/// outstanding (handed out but not yet delivered); results wait, keyed by job, until the caller takes them
/// in order. Failures are kept per earliest job.
final class OrderedJobQueue<Result>: @unchecked Sendable {
    private let condition = NSCondition()
    private let jobs: Int
    private let window: Int
    /// Next job to hand to a worker.
    private var nextJob = 0
    /// Jobs below this have been delivered.
    private var deliveredUpTo = 0
    private var results: [Int: Result] = [:]
    private var failure: (job: Int, error: Error)?
    private var stopped = false
    private var exited = 0

    init(jobs: Int, window: Int) {
        self.jobs = jobs
        self.window = max(1, window)
    }

    /// The next job for a worker; waits while the window is full; nil once all are handed out or the run stops.
    func next() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && failure == nil && nextJob < jobs && nextJob >= deliveredUpTo + window { condition.wait() }
        guard !stopped, failure == nil, nextJob < jobs else { return nil }
        nextJob += 1
        return nextJob - 1
    }

    func complete(_ job: Int, with result: Result) {
        condition.lock()
        results[job] = result
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ job: Int, _ error: Error) {
        condition.lock()
        if failure == nil || job < failure!.job { failure = (job, error) }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for `job`'s result; throws the failure of `job` or of an earlier job. (Every job below a failed
    /// one was handed out before it, so it completes or fails in turn: the wait ends.)
    func take(_ job: Int) throws -> Result {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = results.removeValue(forKey: job) { return result }
            if let failure, failure.job <= job { throw failure.error }
            condition.wait()
        }
    }

    /// `job` has been delivered: its slot in the window is free.
    func delivered(_ job: Int) {
        condition.lock()
        deliveredUpTo = job + 1
        condition.broadcast()
        condition.unlock()
    }

    /// Hands out no more jobs (the caller failed).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func workerExited() {
        condition.lock()
        exited += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `workers` workers have exited; stops handing out jobs first if the run did not finish.
    func waitForWorkers(_ workers: Int) {
        condition.lock()
        if deliveredUpTo < jobs { stopped = true }
        condition.broadcast()
        while exited < workers { condition.wait() }
        results.removeAll()
        condition.unlock()
    }
}
