import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything an `OrderedPipeline`'s worker threads share with it, under one condition lock. The
/// workers hold only this object, so the pipeline object itself can go away (and stop them) while they
/// run. The rules it implements are documented on `OrderedPipeline`.
final class OrderedPipelineState<Output>: @unchecked Sendable {
    enum Source {
        /// Jobs 0 ..< count; a worker computes a job's cost, reserves it in job order, then runs it.
        case counted(count: Int, cost: (Int) throws -> Int, work: (_ job: Int, _ worker: Int) throws -> Output)
        /// Jobs submitted by the caller, who reserves their units; outputs kept for `take()` or dropped.
        case pushed(keepOutputs: Bool)
    }

    /// A finished job waiting for its turn.
    private enum Finished {
        case output(Output, units: Int)
        /// A pushed job whose output was dropped (its units already released).
        case dropped
        case failed(Error, units: Int)
    }

    /// A submitted job not yet started.
    private struct Queued {
        let units: Int
        let work: () throws -> Output
    }

    private let condition = NSCondition()
    private let name: String
    private let source: Source
    private let budget: Int
    private let stoppedError: Error

    /// Jobs known so far: the count of a counted pipeline, the jobs submitted to a pushed one.
    private var jobCount: Int
    /// No job beyond `jobCount` will come (always true for a counted pipeline).
    private var inputEnded: Bool
    private var queued: [Int: Queued] = [:]
    private var nextToClaim = 0
    private var nextToReserve = 0
    private var nextToDeliver = 0
    private var finished: [Int: Finished] = [:]
    private var reserved = 0
    private var peak = 0
    private var stopping = false
    /// The pipeline's failure, set at the failed job's turn.
    private var failure: Error?
    /// The earliest job known to have failed (Int.max: none); no later job is started.
    private var earliestFailedJob = Int.max
    private var runningWorkers = 0
    /// The worker threads still in their loop, so `stop()` called from a job does not wait for itself.
    private var workerThreads: Set<pthread_t> = []

    init(source: Source, name: String, budget: Int, stoppedError: Error) {
        self.name = name
        self.source = source
        self.budget = max(1, budget)
        self.stoppedError = stoppedError
        switch source {
        case let .counted(count, _, _):
            jobCount = count
            inputEnded = true
        case .pushed:
            jobCount = 0
            inputEnded = false
        }
    }

    private var keepsOutputs: Bool {
        if case let .pushed(keepOutputs) = source { return keepOutputs }
        return true
    }

    func start(threads: Int, stackSize: Int) {
        let threads = max(1, threads)
        condition.lock()
        runningWorkers = threads
        condition.unlock()
        OrderedPipelineWorkers.started(threads, name: name)
        for worker in 0..<threads {
            // Holds this state, not the pipeline: see `OrderedPipeline`, **Lifetime**.
            let thread = Thread { [self, name] in
                ThreadName.setCurrent(prefix: name, worker: worker)
                run(worker: worker)
            }
            thread.name = "\(name)-\(worker)"
            thread.stackSize = stackSize
            thread.start()
        }
    }

    var reservedUnits: Int { condition.lock(); defer { condition.unlock() }; return reserved }
    var peakReservedUnits: Int { condition.lock(); defer { condition.unlock() }; return peak }

    func take() throws -> Output? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let failure { throw failure }
            if inputEnded && nextToDeliver >= jobCount { return nil }
            if let next = finished.removeValue(forKey: nextToDeliver) {
                condition.broadcast()
                switch next {
                case let .output(output, units):
                    reserved -= units
                    nextToDeliver += 1
                    return output
                case .dropped:
                    nextToDeliver += 1
                    continue
                case let .failed(error, units):
                    reserved -= units
                    fail(error)
                    throw error
                }
            }
            if stopping { throw stoppedError }
            condition.wait()
        }
    }

    func submit(units: Int, work: @escaping () throws -> Output) throws {
        condition.lock()
        defer { condition.unlock() }
        guard case .pushed = source else { preconditionFailure("submit(cost:_:) on a counted OrderedPipeline") }
        precondition(!inputEnded, "submit(cost:_:) after endInput() on an OrderedPipeline")
        while true {
            if let failure { throw failure }
            if stopping { throw stoppedError }
            if reserved == 0 || reserved + units <= budget { break }
            condition.wait()
        }
        reserved += units
        peak = max(peak, reserved)
        queued[jobCount] = Queued(units: units, work: work)
        jobCount += 1
        condition.broadcast()
    }

    func endInput() {
        condition.lock()
        inputEnded = true
        condition.broadcast()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        let calledByWorker = workerThreads.contains(pthread_self())
        while runningWorkers > (calledByWorker ? 1 : 0) { condition.wait() }
        // Released after unlocking: an output or a job's closure may hold what calls back in here.
        let droppedOutputs = finished, droppedJobs = queued
        finished.removeAll()
        queued.removeAll()
        reserved = 0
        condition.unlock()
        _ = (droppedOutputs, droppedJobs)
    }

    /// Under the lock: `error` (the failure of job `nextToDeliver`) becomes the pipeline's.
    private func fail(_ error: Error) {
        failure = error
        stopping = true
        condition.broadcast()
    }

    /// Under the lock, dropped outputs: moves the delivery point past finished jobs, failing the
    /// pipeline at a failed one.
    private func deliverDropped() {
        while let next = finished.removeValue(forKey: nextToDeliver) {
            switch next {
            case .output, .dropped:
                nextToDeliver += 1
            case let .failed(error, _):
                fail(error)
                return
            }
        }
    }

    /// What running a job gave, as the worker files it.
    private enum Outcome {
        case output(Output)
        /// Succeeded; its output was dropped (outputs not kept).
        case dropped
        case failed(Error)
    }

    /// Runs a job, outside the lock; an output that is not kept is released here, before the worker
    /// locks again (see `stop()`).
    private func outcome(of job: () throws -> Output) -> Outcome {
        do {
            let output = try job()
            return keepsOutputs ? .output(output) : .dropped
        } catch {
            return .failed(error)
        }
    }

    /// Under the lock; unlocks.
    private func exitWorker() {
        OrderedPipelineWorkers.exited(name: name)
        runningWorkers -= 1
        workerThreads.remove(pthread_self())
        condition.broadcast()
        condition.unlock()
    }

    private func run(worker: Int) {
        condition.lock()
        workerThreads.insert(pthread_self())
        while true {
            while !stopping && nextToClaim >= jobCount && !inputEnded { condition.wait() }
            guard !stopping, nextToClaim < jobCount, nextToClaim < earliestFailedJob else { return exitWorker() }
            let job = nextToClaim
            nextToClaim += 1

            var outcome: Outcome?
            let units: Int
            switch source {
            case let .counted(_, cost, work):
                condition.unlock()
                var jobUnits = 0
                var costFailure: Error?
                do { jobUnits = max(0, try cost(job)) } catch { costFailure = error }

                condition.lock()
                while !stopping && job < earliestFailedJob
                    && (nextToReserve != job || (reserved > 0 && reserved + jobUnits > budget))
                {
                    condition.wait()
                }
                if stopping || job > earliestFailedJob {
                    if nextToReserve == job { nextToReserve += 1 }
                    return exitWorker()
                }
                nextToReserve += 1
                reserved += jobUnits
                peak = max(peak, reserved)
                condition.broadcast()
                condition.unlock()
                if let costFailure { outcome = .failed(costFailure) } else { outcome = self.outcome { try work(job, worker) } }
                units = jobUnits

            case .pushed:
                var next = queued.removeValue(forKey: job)
                condition.unlock()
                units = next!.units
                outcome = self.outcome(of: next!.work)
                next = nil // released before locking again (see `stop()`)
            }

            condition.lock()
            if stopping {
                // Stopped, or failed at an earlier job, while this one ran: its outcome is not wanted
                // (released after unlocking, see `stop()`).
                condition.unlock()
                outcome = nil
                condition.lock()
                continue
            }
            switch outcome! {
            case let .output(output):
                finished[job] = .output(output, units: units)
            case .dropped:
                reserved -= units
                finished[job] = .dropped
            case let .failed(error):
                earliestFailedJob = min(earliestFailedJob, job)
                if keepsOutputs {
                    finished[job] = .failed(error, units: units)
                } else {
                    reserved -= units
                    finished[job] = .failed(error, units: 0)
                }
            }
            if !keepsOutputs { deliverDropped() }
            condition.broadcast()
        }
    }
}

/// Worker threads of every ordered pipeline still in their loop, by pipeline name, process-wide: what
/// `OrderedPipeline.workersRunning(name:)` reports.
enum OrderedPipelineWorkers {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var running: [String: Int] = [:]

    static func started(_ count: Int, name: String) {
        lock.lock(); defer { lock.unlock() }
        running[name, default: 0] += count
    }

    static func exited(name: String) {
        lock.lock(); defer { lock.unlock() }
        running[name, default: 0] -= 1
        if running[name] == 0 { running[name] = nil }
    }

    static func count(name: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return running[name] ?? 0
    }
}
