import Foundation
import StrataUtilities
import Testing

/// The ordered pipeline: results in job order, reserved units bounded, the first failure delivered at its
/// turn and again after, and an early stop that joins every worker.
@Suite struct OrderedPipelineTests {
    struct JobFailed: Error, Equatable { let job: Int }
    struct Stopped: Error, Equatable {}

    /// Counts what the workers do, under a lock, independently of the pipeline's own bookkeeping.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var started = 0
        private var holding = 0
        private var mostHeld = 0
        private var busyWorkers: Set<Int> = []
        private var workerClash = false

        func begin(worker: Int) {
            lock.lock(); defer { lock.unlock() }
            started += 1
            holding += 1
            mostHeld = max(mostHeld, holding)
            if !busyWorkers.insert(worker).inserted { workerClash = true }
        }
        func end(worker: Int) { lock.lock(); busyWorkers.remove(worker); lock.unlock() }
        func taken() { lock.lock(); holding -= 1; lock.unlock() }
        var jobsStarted: Int { lock.lock(); defer { lock.unlock() }; return started }
        var mostHeldAtOnce: Int { lock.lock(); defer { lock.unlock() }; return mostHeld }
        var sameWorkerRanTwoJobsAtOnce: Bool { lock.lock(); defer { lock.unlock() }; return workerClash }
    }

    /// A job that takes a little, uneven time, so later jobs often finish first.
    static func jitter(_ job: Int) { usleep(UInt32((job * 7919) % 5) * 200) }

    @Test(arguments: [1, 3, 8])
    func deliversEveryResultInJobOrder(threads: Int) throws {
        let pipeline = OrderedPipeline<Int>(
            count: 200, threads: threads, budget: 4, name: "test-order",
            stoppedError: Stopped(), cost: { _ in 1 },
            work: { job in
                Self.jitter(job); return job * job + 1
            })
        var results: [Int] = []
        while let value = try pipeline.take() { results.append(value) }
        #expect(results == (0..<200).map { $0 * $0 + 1 })
        #expect(try pipeline.take() == nil)
    }

    @Test func emptyRunEndsAtOnce() throws {
        let pipeline = OrderedPipeline<Int>(
            count: 0, threads: 2, budget: 1, name: "test-empty",
            stoppedError: Stopped(), cost: { _ in 1 }, work: { $0 })
        #expect(try pipeline.take() == nil)
    }

    @Test func reservedUnitsStayWithinTheBudget() throws {
        let tally = Tally()
        let budget = 5
        let pipeline = OrderedPipeline<Int>(
            count: 300, threads: 6, budget: budget, name: "test-bound",
            stoppedError: Stopped(), cost: { _ in 1 },
            workOnWorker: { job, worker in
                tally.begin(worker: worker)
                Self.jitter(job)
                tally.end(worker: worker)
                return job
            })
        var taken = 0
        while let job = try pipeline.take() {
            #expect(job == taken)
            tally.taken()
            taken += 1
            if taken % 17 == 0 { usleep(2000) } // a slow consumer: the workers must wait, not pile up
        }
        #expect(taken == 300)
        // A unit is released when `take()` returns, before the tally hears of it: one more may be counted.
        #expect(tally.mostHeldAtOnce <= budget + 1)
        #expect(pipeline.peakReservedUnits <= budget)
        #expect(pipeline.peakReservedUnits >= 2) // it did run ahead of the consumer
        #expect(!tally.sameWorkerRanTwoJobsAtOnce)
    }

    @Test func aJobCostingMoreThanTheBudgetRunsAlone() throws {
        let costs = [1, 1, 10, 1, 1, 10, 1]
        let pipeline = OrderedPipeline<Int>(
            count: costs.count, threads: 4, budget: 3, name: "test-big",
            stoppedError: Stopped(), cost: { costs[$0] },
            work: { job in
                Self.jitter(job); return costs[job]
            })
        var seen: [Int] = []
        while let cost = try pipeline.take() { seen.append(cost) }
        #expect(seen == costs)
        #expect(pipeline.peakReservedUnits <= 10)
        #expect(pipeline.reservedUnits == 0)
    }

    @Test(arguments: [1, 4])
    func theFirstFailureComesAtItsTurnAndStays(threads: Int) throws {
        let tally = Tally()
        let pipeline = OrderedPipeline<Int>(
            count: 1000, threads: threads, budget: 3, name: "test-fail",
            stoppedError: Stopped(), cost: { _ in 1 },
            workOnWorker: { job, worker in
                tally.begin(worker: worker)
                defer { tally.end(worker: worker) }
                Self.jitter(job)
                if job == 7 || job == 9 { throw JobFailed(job: job) }
                return job
            })
        var delivered: [Int] = []
        #expect(throws: JobFailed(job: 7)) {
            while let job = try pipeline.take() { delivered.append(job) }
        }
        #expect(delivered == Array(0..<7))
        #expect(throws: JobFailed(job: 7)) { try pipeline.take() }
        pipeline.stop()
        // Bounded run-ahead: only jobs within the budget (plus those in hand) past the failure ever started.
        #expect(tally.jobsStarted <= 7 + 1 + 3 + threads)
    }

    @Test func aFailingCostFailsThePipelineAtThatJob() throws {
        let pipeline = OrderedPipeline<Int>(
            count: 10, threads: 2, budget: 2, name: "test-cost",
            stoppedError: Stopped(),
            cost: { job in
                if job == 4 { throw JobFailed(job: job) }; return 1
            },
            work: { $0 })
        var delivered: [Int] = []
        #expect(throws: JobFailed(job: 4)) {
            while let job = try pipeline.take() { delivered.append(job) }
        }
        #expect(delivered == [0, 1, 2, 3])
    }

    @Test func stoppingEarlyReleasesTheWorkersAndStartsNoMoreJobs() throws {
        let tally = Tally()
        let threads = 4, budget = 2
        let pipeline = OrderedPipeline<Int>(
            count: 100_000, threads: threads, budget: budget, name: "test-stop",
            stoppedError: Stopped(), cost: { _ in 1 },
            workOnWorker: { job, worker in
                tally.begin(worker: worker)
                tally.end(worker: worker)
                return job
            })
        for expected in 0..<3 { #expect(try pipeline.take() == expected) }
        usleep(20_000) // workers now wait on the budget
        pipeline.stop() // returns only once every worker has exited
        let startedAtStop = tally.jobsStarted
        #expect(startedAtStop <= 3 + budget + threads)
        #expect(throws: Stopped()) { try pipeline.take() }
        usleep(20_000)
        #expect(tally.jobsStarted == startedAtStop)
        #expect(pipeline.reservedUnits == 0)
        pipeline.stop() // idempotent
    }
}
