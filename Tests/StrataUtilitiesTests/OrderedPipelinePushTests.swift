import Foundation
import StrataUtilities
import Testing

/// The ordered pipeline fed one job at a time (push mode): submission order kept under random job
/// durations, `submit` held to the budget, a failure at its turn that later calls rethrow, and an
/// input ended before any job.
@Suite struct OrderedPipelinePushTests {
    struct JobFailed: Error, Equatable { let job: Int }
    struct Stopped: Error, Equatable {}

    /// What the jobs did, recorded under a lock independently of the pipeline's bookkeeping.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var startedJobs: [Int] = []
        private var finishedJobs: [Int] = []
        private var running = 0
        private var mostRunning = 0
        private var units = 0
        private var mostUnits = 0

        func start(_ job: Int) {
            lock.lock(); defer { lock.unlock() }
            startedJobs.append(job)
            running += 1
            mostRunning = max(mostRunning, running)
        }
        func end(_ job: Int) {
            lock.lock(); defer { lock.unlock() }
            finishedJobs.append(job)
            running -= 1
        }
        /// Units the caller counts once `submit` has returned; a job gives them back before it returns, so
        /// this count never exceeds what the pipeline holds.
        func hold(_ n: Int) { lock.lock(); units += n; mostUnits = max(mostUnits, units); lock.unlock() }
        func release(_ n: Int) { lock.lock(); units -= n; lock.unlock() }
        var started: [Int] { lock.lock(); defer { lock.unlock() }; return startedJobs }
        var finished: [Int] { lock.lock(); defer { lock.unlock() }; return finishedJobs }
        var mostRunningAtOnce: Int { lock.lock(); defer { lock.unlock() }; return mostRunning }
        var mostUnitsHeld: Int { lock.lock(); defer { lock.unlock() }; return mostUnits }
    }

    /// Seeded job durations in microseconds (0 ..< 1500), so later jobs often finish first.
    static func durations(_ count: Int, seed: UInt64) -> [UInt32] {
        var generator = SplitMix64(state: seed)
        return (0..<count).map { _ in UInt32(generator.next() % 1500) }
    }

    @Test func oneThreadRunsPushedJobsOneAfterAnotherInSubmissionOrder() throws {
        let log = Log()
        let durations = Self.durations(120, seed: 1)
        let pipeline = OrderedPipeline<Void>(threads: 1, budget: 3, name: "test-push1", stoppedError: Stopped(), outputs: .dropped)
        for job in 0..<durations.count {
            try pipeline.submit {
                log.start(job)
                usleep(durations[job])
                log.end(job)
            }
        }
        try pipeline.finish()
        #expect(log.started == Array(0..<durations.count))
        #expect(log.finished == Array(0..<durations.count))
        #expect(log.mostRunningAtOnce == 1)
        #expect(pipeline.reservedUnits == 0)
    }

    @Test(arguments: [1, 4])
    func pushedOutputsAreTakenInSubmissionOrder(threads: Int) throws {
        let log = Log()
        let durations = Self.durations(300, seed: 2)
        let pipeline = OrderedPipeline<Int>(
            threads: threads, budget: 6, name: "test-pushtake", stoppedError: Stopped(), outputs: .taken)
        let producerDone = DispatchSemaphore(value: 0)
        let producer = Thread {
            defer { producerDone.signal() }
            for job in 0..<durations.count {
                try? pipeline.submit {
                    log.start(job)
                    usleep(durations[job])
                    log.end(job)
                    return job * job + 1
                }
            }
            pipeline.endInput()
        }
        producer.start()
        var outputs: [Int] = []
        while let output = try pipeline.take() { outputs.append(output) }
        producerDone.wait()
        #expect(outputs == (0..<durations.count).map { $0 * $0 + 1 })
        #expect(try pipeline.take() == nil)
        #expect(log.started.sorted() == Array(0..<durations.count)) // each once
        if threads == 1 {
            #expect(log.started == Array(0..<durations.count))
        } else {
            #expect(log.mostRunningAtOnce > 1)
            #expect(log.finished != Array(0..<durations.count)) // they did finish out of order
        }
    }

    @Test func submitBlocksWhileTheJobsInHandFillTheBudget() throws {
        let log = Log()
        let budget = 5
        var generator = SplitMix64(state: 3)
        let costs = (0..<200).map { _ in 1 + Int(generator.next() % 3) }
        let pipeline = OrderedPipeline<Void>(
            threads: 3, budget: budget, name: "test-pushbound", stoppedError: Stopped(), outputs: .dropped)
        for (job, cost) in costs.enumerated() {
            try pipeline.submit(cost: cost) {
                usleep(UInt32(300 + job % 7 * 100)) // slower than submitting: without the bound, jobs pile up
                log.release(cost)
            }
            log.hold(cost)
        }
        try pipeline.finish()
        #expect(log.mostUnitsHeld <= budget)
        #expect(pipeline.peakReservedUnits <= budget)
        #expect(pipeline.peakReservedUnits >= 3) // it did queue ahead of the jobs
        #expect(pipeline.reservedUnits == 0)
    }

    @Test func aJobCostingMoreThanTheBudgetIsSubmittedAlone() throws {
        let log = Log()
        let costs = [1, 2, 9, 1, 1]
        let pipeline = OrderedPipeline<Void>(threads: 2, budget: 3, name: "test-pushbig", stoppedError: Stopped(), outputs: .dropped)
        for (job, cost) in costs.enumerated() {
            try pipeline.submit(cost: cost) {
                log.start(job)
                usleep(3000)
                log.end(job)
            }
        }
        try pipeline.finish()
        #expect(pipeline.peakReservedUnits == 9)
        #expect(log.started.sorted() == Array(0..<costs.count))
    }

    @Test(arguments: [1, 3])
    func aFailedJobFailsThePipelineAtItsTurnAndLaterCallsRethrow(threads: Int) throws {
        let log = Log()
        let budget = 3
        let pipeline = OrderedPipeline<Void>(
            threads: threads, budget: budget, name: "test-pushfail", stoppedError: Stopped(), outputs: .dropped)
        var submitted = 0
        let thrown = #expect(throws: JobFailed.self) {
            for job in 0..<1000 {
                try pipeline.submit {
                    log.start(job)
                    defer { log.end(job) }
                    if job == 7 {
                        usleep(20_000) // job 9 (if a worker has it) fails first; the pipeline still fails at 7
                        throw JobFailed(job: 7)
                    }
                    if job == 9 { throw JobFailed(job: 9) }
                    usleep(200)
                }
                submitted += 1
            }
        }
        #expect(thrown == JobFailed(job: 7))
        #expect(throws: JobFailed(job: 7)) { try pipeline.submit {} }
        #expect(throws: JobFailed(job: 7)) { try pipeline.finish() }
        #expect(throws: JobFailed(job: 7)) { try pipeline.finish() }
        // Every job before the failed one ran to its end.
        #expect(Set(log.finished).isSuperset(of: 0..<8))
        if threads == 1 {
            #expect(log.started == Array(0...7)) // nothing after the failed job ran
        } else {
            // Only jobs already running when job 7 failed, never one submitted within the budget after them.
            #expect(log.started.allSatisfy { $0 <= 7 + threads })
        }
        // submit stopped taking jobs at most a budget's worth after the failed job.
        #expect(submitted <= 8 + budget + threads)
    }

    @Test func aFailedJobHoldsItsTurnForTakenOutputs() throws {
        let pipeline = OrderedPipeline<Int>(threads: 2, budget: 4, name: "test-pushfailtake", stoppedError: Stopped(), outputs: .taken)
        for job in 0..<4 {
            try pipeline.submit {
                if job == 2 { throw JobFailed(job: job) }
                return job
            }
        }
        pipeline.endInput()
        #expect(try pipeline.take() == 0)
        #expect(try pipeline.take() == 1)
        #expect(throws: JobFailed(job: 2)) { try pipeline.take() }
        #expect(throws: JobFailed(job: 2)) { try pipeline.take() }
        #expect(throws: JobFailed(job: 2)) { try pipeline.finish() }
    }

    @Test func inputEndedBeforeAnyJob() throws {
        for outputs in [OrderedPipeline<Int>.PushedOutputs.taken, .dropped] {
            let pipeline = OrderedPipeline<Int>(threads: 3, budget: 2, name: "test-pushempty", stoppedError: Stopped(), outputs: outputs)
            pipeline.endInput()
            #expect(try pipeline.take() == nil)
            try pipeline.finish()
            #expect(try pipeline.take() == nil)
            #expect(pipeline.peakReservedUnits == 0)
        }
        let finishedAtOnce = OrderedPipeline<Void>(threads: 1, budget: 1, name: "test-pushnone", stoppedError: Stopped(), outputs: .dropped)
        try finishedAtOnce.finish()
    }

    @Test func stoppingAPushedPipelineDropsItsQueueAndRefusesSubmits() throws {
        let log = Log()
        let pipeline = OrderedPipeline<Void>(threads: 1, budget: 10, name: "test-pushstop", stoppedError: Stopped(), outputs: .dropped)
        for job in 0..<10 {
            try pipeline.submit {
                log.start(job)
                usleep(5000)
            }
        }
        usleep(2000)
        pipeline.stop() // the job in hand finishes; the rest never start
        let startedAtStop = log.started.count
        #expect(startedAtStop < 10)
        #expect(throws: Stopped()) { try pipeline.submit {} }
        #expect(throws: Stopped()) { try pipeline.finish() }
        usleep(20_000)
        #expect(log.started.count == startedAtStop)
        #expect(pipeline.reservedUnits == 0)
    }
}
