import Foundation
import StrataModel

/// Runs every request's model work on one thread, so that the model, the probes and OpenBLAS are used by
/// one pass at a time:
///
/// - the queue is bounded (`ServeLimits.queueLimit` requests admitted and unfinished); a request beyond it
///   is refused at once, never buffered;
/// - each turn of the loop runs, in order: one forward pass packing the waiting classify and hidden-state
///   texts (up to `maxBatchTokens` tokens), the prefill of one waiting generation (with its guard), and one
///   decoding step of every active generation — so new work starts every turn and no generation waits for
///   another to finish;
/// - cancelled or expired work is dropped between steps.
public final class ServeScheduler: @unchecked Sendable {
    private let model: ServedModel
    private let probes: ProbeRegistry
    private let limits: ServeLimits
    private let metrics: ServeMetrics
    private let stopTokens: Set<Int32>

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var waitingPasses: [any PassTask] = []
    private var waitingGenerations: [GenerationTask] = []
    private var admitted = 0
    private var activeCount = 0
    private var accepting = true
    private var running = false
    private var finishedRunning = false
    // Used by the worker thread only.
    private var active: [GenerationTask] = []

    public init(model: ServedModel, probes: ProbeRegistry, limits: ServeLimits, metrics: ServeMetrics) {
        self.model = model
        self.probes = probes
        self.limits = limits
        self.metrics = metrics
        stopTokens = model.stopTokens
    }

    /// Starts the worker thread.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        let thread = Thread { [self] in workLoop() }
        thread.name = "strata-serve-model"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Refuses new requests, lets admitted ones finish, and returns when the worker has stopped.
    public func shutdown() {
        condition.lock()
        accepting = false
        condition.broadcast()
        while running && !finishedRunning { condition.wait() }
        condition.unlock()
    }

    /// Requests admitted and not finished.
    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return admitted
    }

    func submit(_ task: any PassTask) throws {
        try admit { waitingPasses.append(task) }
    }

    func submit(_ task: GenerationTask) throws {
        try admit { waitingGenerations.append(task) }
    }

    private func admit(_ enqueue: () -> Void) throws {
        condition.lock()
        defer { condition.unlock() }
        guard accepting else { throw ServeAPIError.shuttingDown }
        guard admitted < limits.queueLimit else { throw ServeAPIError.queueFull(limit: limits.queueLimit) }
        admitted += 1
        enqueue()
        metrics.queue(depth: admitted, activeGenerations: activeCount)
        condition.broadcast()
    }

    private func release(_ count: Int) {
        condition.lock()
        admitted -= count
        activeCount = active.count
        metrics.queue(depth: admitted, activeGenerations: activeCount)
        condition.unlock()
    }

    private func workLoop() {
        while true {
            condition.lock()
            while waitingPasses.isEmpty && waitingGenerations.isEmpty && active.isEmpty && (accepting || admitted > 0) {
                condition.wait()
            }
            if !accepting && admitted == 0 {
                finishedRunning = true
                condition.broadcast()
                condition.unlock()
                return
            }
            var batch: [any PassTask] = []
            var batchTokens = 0
            while let next = waitingPasses.first, batch.isEmpty || batchTokens + next.tokenCount <= limits.maxBatchTokens {
                batch.append(waitingPasses.removeFirst())
                batchTokens += next.tokenCount
            }
            var arriving: GenerationTask?
            if active.count < limits.maxActiveGenerations, !waitingGenerations.isEmpty {
                arriving = waitingGenerations.removeFirst()
            }
            condition.unlock()

            var done = runPass(batch)
            if let arriving {
                if prefill(arriving) { active.append(arriving) } else { done += 1 }
            }
            let before = active.count
            active.removeAll { !step($0) }
            done += before - active.count
            release(done)
        }
    }

    /// Runs the packed pass of `tasks`; returns how many tasks ended (all of them).
    private func runPass(_ tasks: [any PassTask]) -> Int {
        guard !tasks.isEmpty else { return 0 }
        var live: [any PassTask] = []
        var requests: [HiddenStateRequest] = []
        defer { probes.returnAll() }
        for task in tasks {
            if let reason = abandoned(task.ticket) {
                task.fail(reason)
                continue
            }
            do {
                requests.append(try task.prepare(probes: probes))
                live.append(task)
            } catch {
                task.fail(Self.apiError(error))
            }
        }
        guard !live.isEmpty else { return tasks.count }
        let sink = PackedPassSink(tasks: live)
        let batch = sink.batch
        do {
            _ = try model.llama.forward(batch: batch, request: PackedPassSink.union(requests), sink: sink)
            metrics.pass(texts: batch.count, tokens: batch.reduce(0) { $0 + $1.count })
        } catch {
            for task in live { task.fail(Self.apiError(error)) }
            return tasks.count
        }
        for task in live {
            do { try task.complete() } catch { task.fail(Self.apiError(error)) }
        }
        return tasks.count
    }

    /// Runs the guarded prefill of `task`; returns whether it goes on to decode.
    private func prefill(_ task: GenerationTask) -> Bool {
        if let reason = abandoned(task.ticket) {
            task.events.finish(throwing: reason)
            return false
        }
        do {
            let guardProbe = task.screened ? probes.guardProbe : nil
            let generation = try GuardedGeneration(model: model.llama, prompt: task.prompt, maxTokens: task.maxTokens,
                                                   sampling: task.sampling, stopTokens: stopTokens,
                                                   guard: guardProbe, threshold: task.threshold)
            metrics.prefill(tokens: task.prompt.count, seconds: generation.prefillSeconds)
            if let verdict = generation.verdict { metrics.verdict(probe: ProbeRegistry.guardName, flagged: verdict.flagged) }
            task.events.yield(.started(promptTokens: task.prompt.count, verdict: generation.verdict))
            if generation.refused {
                task.events.yield(.finished(.contentFilter, completionTokens: 0))
                task.events.finish()
                return false
            }
            task.generation = generation
            return true
        } catch {
            task.events.finish(throwing: Self.apiError(error))
            return false
        }
    }

    /// One decoding step of `task`; returns whether it goes on.
    private func step(_ task: GenerationTask) -> Bool {
        guard let generation = task.generation else { return false }
        if let reason = abandoned(task.ticket) {
            task.events.finish(throwing: reason)
            return false
        }
        do {
            switch try generation.step() {
            case .token(let token):
                metrics.generatedToken()
                let piece = task.pieces.append(token)
                if !piece.isEmpty { task.events.yield(.text(piece)) }
                return true
            case .finished(let reason):
                let rest = task.pieces.finish()
                if !rest.isEmpty { task.events.yield(.text(rest)) }
                task.events.yield(.finished(FinishReason(reason), completionTokens: generation.generated.count))
                task.events.finish()
                return false
            }
        } catch {
            task.events.finish(throwing: Self.apiError(error))
            return false
        }
    }

    /// Why work on `ticket` should stop now (its client went away, or its time is up); nil to go on.
    private func abandoned(_ ticket: RequestTicket) -> ServeAPIError? {
        if ticket.cancellation.isCancelled || !ticket.connected() { return Self.cancelled }
        if ticket.expired { return .timedOut(seconds: limits.requestTimeoutSeconds) }
        return nil
    }

    static let cancelled = ServeAPIError(status: 499, message: "the client closed the request", type: "server_error",
                                         code: "cancelled")

    static func apiError(_ error: any Error) -> ServeAPIError {
        (error as? ServeAPIError) ?? .internalFailure(error)
    }
}
