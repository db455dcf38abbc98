import Foundation

/// Jobs run on background threads; their outputs are handed over, and their failures take effect,
/// strictly in job order. The one bounded, in-order producer/consumer primitive of the package: prefetching records and
/// batches and the forward workers run on it in counted mode, the capture writer in push mode.
///
/// **Two ways to feed it.** *Counted*: jobs 0 ..< count are known up front; workers compute each job's
/// cost and run it. *Pushed*: the caller submits jobs one at a time (`submit(cost:_:)`), an unknown
/// number of them, and ends the input with `endInput()` (or `finish()`). Jobs are numbered in
/// submission order and started in that order; with one thread each runs after the one before it.
///
/// **Bound.** Every job holds `cost` units from before it runs: a counted job's worker reserves them,
/// a pushed job's `submit` does (and blocks while they do not fit). Reservations are granted in job
/// order and only while the reserved total stays within `budget`; a job costing more than the whole
/// budget is granted alone, when nothing else is reserved. A job's units are released when its output
/// is taken by `take()`, or, for a pushed pipeline whose outputs are `.dropped`, when the job finishes.
/// So at most max(budget, largest cost) units are held, and since the earliest job not yet taken is
/// always the next to be granted, the consumer never waits on a budget held by later jobs (no deadlock).
///
/// **Stop and failure (one rule, both ways).** A job (or its cost) that throws fails the pipeline at
/// that job's turn, i.e. once every earlier job has finished: `take()` first delivers every earlier
/// output, then throws that error; from then on `take()`, `submit` and `finish()` throw it again. No job
/// after a failed one is started once the failure is known (jobs already running finish). `stop()` ends
/// the run early: workers finish the job in hand, start no other, and are joined; undelivered outputs and
/// unstarted jobs are dropped, and `take()` and `submit` then throw `stoppedError` (or the failure, if
/// one came first).
///
/// **Lifetime.** The worker threads hold only the pipeline's shared state, never the pipeline object, so
/// dropping the last outside reference runs `deinit`, which stops the run and joins the workers. (If a
/// job itself drops that reference, `deinit` runs on that job's worker: it joins the other workers, and
/// its own worker exits when the job returns.) An owner that wants the
/// workers gone at a known point calls `stop()` or `finish()`.
public final class OrderedPipeline<Output>: @unchecked Sendable {
    /// What becomes of a pushed job's output.
    public enum PushedOutputs: Sendable {
        /// Kept, holding the job's units, until `take()` returns it in job order.
        case taken
        /// Dropped when the job finishes, which releases its units; `take()` then only waits and reports
        /// the failure.
        case dropped
    }

    private let state: OrderedPipelineState<Output>

    /// A counted pipeline.
    /// - Parameters:
    ///   - count: number of jobs.
    ///   - threads: background workers (at least 1).
    ///   - budget: units that may be reserved at once (at least 1).
    ///   - name: thread name prefix; worker k is named "name-k", cut to the 15 bytes Linux shows in `top -H` and gdb.
    ///   - stoppedError: what `take()` throws after `stop()`.
    ///   - cost: units job k holds from before it runs until its result is taken (runs on a worker).
    ///   - work: runs job k on a worker.
    public convenience init(
        count: Int, threads: Int, budget: Int, name: String, stoppedError: Error,
        cost: @escaping (Int) throws -> Int, work: @escaping (Int) throws -> Output
    ) {
        self.init(
            count: count, threads: threads, budget: budget, name: name, stoppedError: stoppedError,
            cost: cost, workOnWorker: { job, _ in try work(job) })
    }

    /// Like `init(count:threads:budget:name:stoppedError:cost:work:)`, but `workOnWorker(job, worker)`
    /// also gets the index (0 ..< threads) of the worker thread running it, so a job can use that
    /// worker's own scratch state; `stackSize` is each worker thread's stack in bytes.
    public init(
        count: Int, threads: Int, budget: Int, name: String, stoppedError: Error, stackSize: Int = 4 << 20,
        cost: @escaping (Int) throws -> Int,
        workOnWorker work: @escaping (_ job: Int, _ worker: Int) throws -> Output
    ) {
        state = OrderedPipelineState(
            source: .counted(count: max(0, count), cost: cost, work: work), name: name, budget: budget,
            stoppedError: stoppedError)
        state.start(threads: threads, stackSize: stackSize)
    }

    /// A pushed pipeline: jobs come from `submit(cost:_:)` until `endInput()`.
    /// - Parameters:
    ///   - threads: background workers (at least 1; 1 runs the jobs one after another, in order).
    ///   - budget: units that submitted jobs may hold at once (at least 1); `submit` blocks beyond it.
    ///   - name: thread name prefix; worker k is named "name-k", cut to the 15 bytes Linux shows in `top -H` and gdb.
    ///   - stoppedError: what `take()` and `submit` throw after `stop()`.
    ///   - outputs: whether outputs wait for `take()` or are dropped when their job finishes.
    public init(
        threads: Int, budget: Int, name: String, stoppedError: Error, stackSize: Int = 4 << 20, outputs: PushedOutputs
    ) {
        state = OrderedPipelineState(
            source: .pushed(keepOutputs: outputs == .taken), name: name, budget: budget, stoppedError: stoppedError)
        state.start(threads: threads, stackSize: stackSize)
    }

    /// Stops the run and joins the workers (see **Lifetime**).
    deinit { state.stop() }

    /// Worker threads, process-wide, of the pipelines named `name` that have not yet left their loop
    /// (for diagnostics and tests: a pipeline that was stopped or dropped has none left).
    public static func workersRunning(name: String) -> Int { OrderedPipelineWorkers.count(name: name) }

    /// Units reserved right now (jobs waiting, running, or holding an output nobody took yet).
    public var reservedUnits: Int { state.reservedUnits }
    /// The most units reserved at once so far.
    public var peakReservedUnits: Int { state.peakReservedUnits }

    /// The next output in job order, nil after the last (for a pushed pipeline: after `endInput()` and
    /// the last submitted job); rethrows a job's failure at its turn. With `.dropped` outputs it returns
    /// nil once every job has finished.
    public func take() throws -> Output? { try state.take() }

    /// Pushed pipelines: queues `work` as the next job, holding `cost` units (see **Bound**); blocks while
    /// they do not fit. Throws the pipeline's failure, or `stoppedError` after `stop()`, instead of
    /// queueing. Submitting to a counted pipeline or after `endInput()` is a programming error.
    public func submit(cost: Int = 1, _ work: @escaping () throws -> Output) throws {
        try state.submit(units: max(0, cost), work: work)
    }

    /// Pushed pipelines: no job follows the ones submitted so far (so `take()` can return nil).
    /// Idempotent; nothing to do for a counted pipeline.
    public func endInput() { state.endInput() }

    /// Ends the input, waits for every job, dropping outputs nobody took, and joins the workers;
    /// rethrows the failure (after stopping the run) if a job failed.
    public func finish() throws {
        state.endInput()
        do {
            while try state.take() != nil {}
        } catch {
            state.stop()
            throw error
        }
        state.stop()
    }

    /// Starts no further job, waits for the workers to exit and drops undelivered outputs and unstarted
    /// jobs. Idempotent; called by deinit.
    public func stop() { state.stop() }
}
