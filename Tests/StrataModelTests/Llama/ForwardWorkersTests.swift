import Foundation
import Testing

@testable import StrataModel

/// `ForwardWorkers`: packed batches computed several at once (each worker with its own workspace and
/// single-threaded BLAS, sharing the weights) give bit for bit the results of one plain `forward` call per
/// batch, delivered in batch order with a bounded number outstanding; errors stop the run without hanging.
struct ForwardWorkersTests {
    /// Products on one OpenBLAS thread, as `strata capture` runs them (no test sets another count).
    init() { BLASThreads.set(1) }

    static let config = LlamaConfig(
        blockCount: 2, hiddenSize: 128, feedForwardSize: 256, headCount: 4,
        keyValueHeadCount: 2, headDimension: nil, ropeFrequencyBase: 10_000,
        ropeScaling: .none, rmsNormEpsilon: 1e-5, vocabularySize: 97, tiedOutput: true)

    /// 10 packed batches of 1–6 texts of 1–40 tokens (pseudo-random, fixed), so workspaces are reused for
    /// batches both larger and smaller than the one before.
    static func batches() -> [[[Int32]]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<10).map { _ in
            (0...next(6)).map { _ in (0...next(40)).map { _ in Int32(next(97)) } }
        }
    }

    /// Every hidden state and the last-position log-probabilities of one batch.
    struct Output: Equatable {
        var states: [Int: [Int: [Float]]]
        var logProbs: [[Float]]
    }

    static func run(_ model: LlamaModel, _ batch: [[Int32]], workspace: ForwardWorkspace?) throws -> Output {
        let sink = RecordingSink()
        let result = try model.forward(
            batch: batch, request: HiddenStateRequest(wantLastLogProbs: true), sink: sink,
            workspace: workspace)
        return Output(states: sink.states, logProbs: result.lastLogProbs)
    }

    @Test func workersGiveBitIdenticalResultsToOneCallPerBatch() throws {
        let c = Self.config
        let weights = try HFLlamaWeights.random(c, tied: true, seed: 21).ggufWeights(c)
        let model = try LlamaModel(config: c, weights: weights, threads: 1)
        let batches = Self.batches()
        let reference = try batches.map { try Self.run(model, $0, workspace: nil) }
        // Workers whose passes run their non-BLAS steps on 1 or 3 threads.
        for (count, threads) in [(2, 1), (3, 1), (2, 3)] {
            let model = try LlamaModel(config: c, weights: weights, threads: threads)
            let workers = ForwardWorkers(model: model, count: count)
            var delivered: [Int] = []
            var outputs: [Output] = []
            try workers.run(
                jobs: batches.count,
                compute: { job, workspace in
                    try Self.run(model, batches[job], workspace: workspace)
                },
                deliver: { job, output in
                    delivered.append(job)
                    outputs.append(output)
                })
            #expect(delivered == Array(batches.indices), "\(count) workers × \(threads) threads")
            for (job, (output, expected)) in zip(outputs, reference).enumerated() {
                #expect(output == expected, "\(count) workers × \(threads) threads, batch \(job)")
            }
        }
    }

    /// Counts jobs started and delivered to check the window: never more than `count + 1` outstanding.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var started = 0, delivered = 0
        private(set) var mostOutstanding = 0
        private(set) var computed: Set<Int> = []
        func start(_ job: Int) {
            lock.lock(); defer { lock.unlock() }
            started += 1
            computed.insert(job)
            mostOutstanding = max(mostOutstanding, started - delivered)
        }
        func deliver() { lock.lock(); delivered += 1; lock.unlock() }
    }

    @Test func resultsComeInOrderWithBoundedOutstandingJobs() throws {
        let model = try LlamaModel(
            config: Self.config,
            weights: try HFLlamaWeights.random(Self.config, tied: true, seed: 22)
                .ggufWeights(Self.config), threads: 1)
        for count in [2, 4] {
            let tally = Tally()
            var delivered: [Int] = []
            try ForwardWorkers(model: model, count: count).run(
                jobs: 60,
                compute: { job, _ in
                    tally.start(job)
                    usleep(UInt32((job * 7919) % 5 * 300)) // uneven durations, so jobs finish out of order
                    return job * 3
                },
                deliver: { job, result in
                    #expect(result == job * 3)
                    delivered.append(job)
                    tally.deliver()
                })
            #expect(delivered == Array(0..<60))
            #expect(tally.mostOutstanding <= count + 1, "\(count) workers: \(tally.mostOutstanding) outstanding")
        }
    }

    struct JobFailure: Error, Equatable { let job: Int }

    @Test func aFailedJobStopsTheRunAfterDeliveringEveryEarlierJob() throws {
        let model = try LlamaModel(
            config: Self.config,
            weights: try HFLlamaWeights.random(Self.config, tied: true, seed: 23)
                .ggufWeights(Self.config), threads: 1)
        for count in [1, 2, 3] {
            var delivered: [Int] = []
            // Job 9 fails at once, job 7 only after a while: the earliest failed job's error is the one reported.
            #expect(throws: JobFailure(job: 7)) {
                try ForwardWorkers(model: model, count: count).run(
                    jobs: 40,
                    compute: { job, _ in
                        if job == 7 { usleep(20_000); throw JobFailure(job: 7) }
                        if job == 9 { throw JobFailure(job: 9) }
                        return job
                    }, deliver: { job, _ in delivered.append(job) })
            }
            #expect(delivered == Array(0..<7), "\(count) workers")
        }
    }

    @Test func aDeliveryErrorStopsTheWorkers() throws {
        let model = try LlamaModel(
            config: Self.config,
            weights: try HFLlamaWeights.random(Self.config, tied: true, seed: 24)
                .ggufWeights(Self.config), threads: 1)
        for count in [1, 3] {
            let tally = Tally()
            #expect(throws: JobFailure(job: 3)) {
                try ForwardWorkers(model: model, count: count).run(
                    jobs: 100,
                    compute: { job, _ in
                        tally.start(job)
                        return job
                    },
                    deliver: { job, _ in
                        if job == 3 { throw JobFailure(job: 3) }
                        tally.deliver()
                    })
            }
            // Nothing past the window of the failed delivery was started.
            #expect((tally.computed.max() ?? 0) < 3 + count + 1, "\(count) workers")
        }
    }
}
