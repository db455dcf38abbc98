import Foundation
import StrataUtilities
import Testing

/// Dropping the last reference to an ordered pipeline mid-run stops it: by the time the reference is gone
/// its worker threads have left their loop, no job starts after, and (once the threads end) everything the
/// jobs captured is released.
@Suite struct OrderedPipelineLifetimeTests {
    struct Stopped: Error {}

    /// Something the jobs capture; it is freed only once nothing (no worker either) holds the jobs.
    final class Canary: @unchecked Sendable {
        private let lock = NSLock()
        private var started = 0
        let freed: DispatchSemaphore

        init(freed: DispatchSemaphore) { self.freed = freed }
        deinit { freed.signal() }

        func jobStarted() { lock.lock(); started += 1; lock.unlock() }
        var jobsStarted: Int { lock.lock(); defer { lock.unlock() }; return started }
    }

    /// A pipeline name no other test uses.
    static func uniqueName() -> String { "test-lifetime-" + UUID().uuidString }

    static func workers(_ name: String) -> Int { OrderedPipeline<Void>.workersRunning(name: name) }

    @Test func droppingACountedPipelineMidRunEndsItsWorkers() throws {
        let name = Self.uniqueName(), threads = 3
        let freed = DispatchSemaphore(value: 0)
        var canary: Canary? = Canary(freed: freed)
        var pipeline: OrderedPipeline<Int>? = OrderedPipeline<Int>(
            count: 1_000_000, threads: threads, budget: 2, name: name, stoppedError: Stopped(), cost: { _ in 1 },
            work: { [canary] job in
                canary!.jobStarted()
                return job
            })
        for expected in 0..<5 { #expect(try pipeline!.take() == expected) }
        #expect(Self.workers(name) == threads) // the control: every worker is in its loop
        let probe = canary!
        canary = nil
        pipeline = nil // deinit stops the run and joins the workers
        let startedAtDrop = probe.jobsStarted
        #expect(startedAtDrop < 1_000_000)
        #expect(Self.workers(name) == 0) // deinit joined them
        usleep(20_000)
        #expect(probe.jobsStarted == startedAtDrop)
        _ = consume probe
        #expect(freed.wait(timeout: .now() + 2) == .success, "the jobs' captures were never released")
    }

    @Test func droppingAPushedPipelineMidRunEndsItsWorkers() throws {
        let name = Self.uniqueName(), threads = 2
        let freed = DispatchSemaphore(value: 0)
        var canary: Canary? = Canary(freed: freed)
        var pipeline: OrderedPipeline<Void>? = OrderedPipeline<Void>(
            threads: threads, budget: 16, name: name, stoppedError: Stopped(), outputs: .dropped)
        for _ in 0..<16 {
            try pipeline!.submit { [canary] in
                canary!.jobStarted()
                usleep(20_000)
            }
        }
        usleep(2000)
        #expect(Self.workers(name) == threads)
        let probe = canary!
        canary = nil
        pipeline = nil
        let startedAtDrop = probe.jobsStarted
        #expect(startedAtDrop < 16)
        #expect(Self.workers(name) == 0)
        usleep(20_000)
        #expect(probe.jobsStarted == startedAtDrop)
        _ = consume probe
        #expect(freed.wait(timeout: .now() + 2) == .success, "the queued jobs were never released")
    }

    /// The last reference held by a job itself: the pipeline goes away on its own worker thread, which
    /// must not wait for itself.
    @Test func aJobDroppingTheLastReferenceDoesNotDeadlock() throws {
        final class Owner: @unchecked Sendable {
            var pipeline: OrderedPipeline<Void>?
            let freed: DispatchSemaphore
            init(freed: DispatchSemaphore) { self.freed = freed }
            deinit { freed.signal() }
        }
        let name = Self.uniqueName()
        let freed = DispatchSemaphore(value: 0)
        var owner: Owner? = Owner(freed: freed)
        owner!.pipeline = OrderedPipeline<Void>(threads: 2, budget: 2, name: name, stoppedError: Stopped(), outputs: .dropped)
        let release = DispatchSemaphore(value: 0)
        try owner!.pipeline!.submit { [owner] in
            release.wait()
            _ = owner // the job's closure is the owner's last holder once the test lets go
        }
        owner = nil
        release.signal()
        #expect(freed.wait(timeout: .now() + 5) == .success, "the owner (and its pipeline) never went away")
        // The owner's deinit signals before its pipeline goes: give that a moment on the worker.
        var left = Self.workers(name)
        for _ in 0..<200 where left > 0 {
            usleep(10_000)
            left = Self.workers(name)
        }
        #expect(left == 0)
    }
}
