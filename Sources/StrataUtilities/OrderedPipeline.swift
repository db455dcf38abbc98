import Foundation

/// Jobs 0 ..< count run on background threads; one consumer takes their results strictly in job
/// order. The one bounded, in-order producer/consumer primitive of the package (prefetching
/// records and batches, and the forward workers, run on it).
///
/// **Bound.** Before running job k a worker reserves `cost(k)` units. Reservations are granted in
/// job order and only while the reserved total stays within `budget`; a job costing more than the
/// whole budget is granted alone, when nothing else is reserved. A job's units are released when
/// the consumer takes its result. So at most max(budget, largest cost) units are held, and since
/// the earliest job not yet taken is always the next to be granted, the consumer never waits on a
/// budget held by later jobs (no deadlock).
///
/// **Stop and failure (one rule).** A job (or its cost) that throws fails the pipeline at that job's
/// turn: `take()` first delivers every earlier result, then throws that error, and throws it again
/// on every later call; no job after it is started once it is delivered. `stop()` ends the run
/// early: workers finish the job in hand, start no other, and are joined; `take()` then throws
/// `stoppedError`. An owner that may drop the pipeline before the last result must call `stop()`:
/// running workers hold the pipeline, so dropping the last outside reference does not end them.
public final class OrderedPipeline<Output>: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let budget: Int
    private let cost: (Int) throws -> Int
    private let work: (_ job: Int, _ worker: Int) throws -> Output
    private let stoppedError: Error

    private var nextToClaim = 0
    private var nextToReserve = 0
    private var nextToDeliver = 0
    private var ready: [Int: (result: Result<Output, Error>, cost: Int)] = [:]
    private var reserved = 0
    private var peak = 0
    private var stopping = false
    private var failure: Error?
    private var runningWorkers = 0

    /// - Parameters:
    ///   - count: number of jobs.
    ///   - threads: background workers (at least 1).
    ///   - budget: units that may be reserved at once (at least 1).
    ///   - name: thread name prefix (for debuggers and `top -H`).
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
        self.count = max(0, count)
        self.budget = max(1, budget)
        self.cost = cost
        self.work = work
        self.stoppedError = stoppedError
        let threads = max(1, threads)
        runningWorkers = threads
        for worker in 0..<threads {
            let thread = Thread { [self] in run(worker: worker) }
            thread.name = "\(name)-\(worker)"
            thread.stackSize = stackSize
            thread.start()
        }
    }

    deinit { stop() }

    /// Units reserved right now (jobs running or waiting for the consumer).
    public var reservedUnits: Int { condition.lock(); defer { condition.unlock() }; return reserved }
    /// The most units reserved at once so far.
    public var peakReservedUnits: Int { condition.lock(); defer { condition.unlock() }; return peak }

    /// The next result in job order, nil after the last; rethrows a job's failure at its turn.
    public func take() throws -> Output? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let failure { throw failure }
            if nextToDeliver >= count { return nil }
            if let slot = ready.removeValue(forKey: nextToDeliver) {
                reserved -= slot.cost
                condition.broadcast()
                switch slot.result {
                case let .success(output):
                    nextToDeliver += 1
                    return output
                case let .failure(error):
                    failure = error
                    stopping = true
                    throw error
                }
            }
            if stopping { throw stoppedError }
            condition.wait()
        }
    }

    /// Starts no further job, waits for the workers to exit and drops undelivered results.
    /// Idempotent; called by deinit.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while runningWorkers > 0 { condition.wait() }
        ready.removeAll()
        reserved = 0
        condition.unlock()
    }

    private func exitWorker() {
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func run(worker: Int) {
        while true {
            condition.lock()
            guard !stopping, nextToClaim < count else { return exitWorker() }
            let job = nextToClaim
            nextToClaim += 1
            condition.unlock()

            var units = 0
            var costFailure: Error?
            do { units = max(0, try cost(job)) } catch { costFailure = error }

            condition.lock()
            while !stopping && (nextToReserve != job || (reserved > 0 && reserved + units > budget)) { condition.wait() }
            if stopping {
                if nextToReserve == job { nextToReserve += 1 }
                return exitWorker()
            }
            nextToReserve += 1
            reserved += units
            peak = max(peak, reserved)
            condition.broadcast()
            condition.unlock()

            let result: Result<Output, Error>
            if let costFailure { result = .failure(costFailure) } else { result = Result { try work(job, worker) } }

            condition.lock()
            ready[job] = (result, units)
            condition.broadcast()
            condition.unlock()
        }
    }
}
