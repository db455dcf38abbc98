import Foundation
import StrataModel

/// Runs every request's model work on one thread, so that the model, the probes and OpenBLAS are used by
/// one pass at a time:
///
/// - the queue is bounded (`ServeLimits.queueLimit` requests admitted and unfinished); a request beyond it
///   is refused at once, never buffered;
/// - each turn of the loop runs one packed forward pass (`PackedTurn`) holding, in arrival order, the waiting
///   classify and hidden-state texts and the prompts of arriving generations (while a generation slot is
///   free), up to `maxBatchTokens` new tokens, plus one decode token of every active generation; then every
///   active generation samples its next token. So new work starts every turn, prefills share their matrix
///   products, and the generations advance one token each per turn, round robin, none waiting for another
///   to finish;
/// - cancelled or expired work is dropped between turns;
/// - a pass that fails is run again one work item at a time, so that only the item at fault fails.
public final class ServeScheduler: @unchecked Sendable {
    private let model: ServedModel
    private let probes: ProbeRegistry
    private let limits: ServeLimits
    private let metrics: ServeMetrics
    private let stopTokens: Set<Int32>

    private let condition = NSCondition()
    // Guarded by `condition`.
    /// Admitted work not started yet, in arrival order: `.pass` and `.prompt` items only.
    private var waiting: [TurnWork] = []
    private var admitted = 0
    private var activeCount = 0
    private var accepting = true
    private var running = false
    private var finishedRunning = false
    // Used by the worker thread only.
    private var active: [GenerationTask] = []
    /// Requests that ended during the current turn.
    private var endedThisTurn = 0

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
        try admit { waiting.append(.pass(task)) }
    }

    func submit(_ task: GenerationTask) throws {
        try admit { waiting.append(.prompt(task)) }
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
            while waiting.isEmpty && active.isEmpty && (accepting || admitted > 0) {
                condition.wait()
            }
            if !accepting && admitted == 0 {
                finishedRunning = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let arriving = takeArrivingWork()
            condition.unlock()

            endedThisTurn = 0
            var turn: [TurnWork] = []
            for work in arriving {
                if let reason = abandoned(work.ticket) { fail(work, reason) } else { turn.append(work) }
            }
            for task in active {
                if let reason = abandoned(task.ticket) {
                    fail(.decode(task), reason)
                } else if task.generation?.pendingDecode != nil {
                    turn.append(.decode(task))
                }
            }
            run(turn)
            for task in active where !task.ended { step(task) }
            active.removeAll { $0.ended }
            release(endedThisTurn)
        }
    }

    /// Takes waiting work for this turn's pass, in arrival order, up to `maxBatchTokens` new tokens (the first
    /// item always goes); a generation also needs a free slot, and waits without holding back the texts
    /// behind it. Called with `condition` locked.
    private func takeArrivingWork() -> [TurnWork] {
        var taken: [TurnWork] = []
        var tokens = 0
        var slots = limits.maxActiveGenerations - active.count
        var index = 0
        while index < waiting.count {
            let work = waiting[index]
            if case .prompt = work, slots <= 0 {
                index += 1
                continue
            }
            guard taken.isEmpty || tokens + work.tokenCount <= limits.maxBatchTokens else { break }
            waiting.remove(at: index)
            taken.append(work)
            tokens += work.tokenCount
            if case .prompt = work { slots -= 1 }
        }
        return taken
    }

    /// Runs `work` as one packed pass and hands out its results; if the pass fails with several items in it,
    /// runs each item alone so that only the one at fault fails.
    private func run(_ work: [TurnWork]) {
        guard !work.isEmpty else { return }
        defer { probes.returnAll() }
        let guardProbe: () throws -> ServingProbe? = { [probes] in
            probes.guardProbe == nil ? nil : try probes.lease(ProbeRegistry.guardName)
        }
        let turn = PackedTurn(work, model: model.llama, probes: probes, guardProbe: guardProbe)
        for (item, error) in turn.refused { fail(item, error) }
        guard !turn.sequences.isEmpty else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        let result: ForwardResult
        do {
            result = try model.llama.forward(sequences: turn.sequences, request: turn.request, sink: turn)
        } catch {
            if turn.included.count > 1 {
                probes.returnAll()
                for item in turn.included { run([item]) }
            } else {
                for item in turn.included { fail(item, Self.apiError(error)) }
            }
            return
        }
        let texts = turn.passTexts
        metrics.pass(sequences: turn.sequences.count, texts: texts.count, textTokens: texts.tokens)
        for item in turn.included { if case .pass = item { endedThisTurn += 1 } }
        let outcomes = turn.deliver(result, prefillStart: start, stopTokens: stopTokens) { item, error in fail(item, error) }
        for outcome in outcomes {
            guard case .prefilled(let task, let generation) = outcome else { continue }
            started(task, generation)
        }
    }

    /// A prefilled generation reports its start (and guard verdict), then decodes, unless its guard refused it.
    private func started(_ task: GenerationTask, _ generation: GuardedGeneration) {
        metrics.prefill(tokens: task.prompt.count, seconds: generation.prefillSeconds)
        if let verdict = generation.verdict { metrics.verdict(probe: ProbeRegistry.guardName, flagged: verdict.flagged) }
        task.events.yield(.started(promptTokens: task.prompt.count, verdict: generation.verdict))
        if generation.refused {
            task.events.yield(.finished(.contentFilter, completionTokens: 0))
            end(task, throwing: nil)
            return
        }
        task.generation = generation
        active.append(task)
    }

    /// Ends `work` with `error` (a pass task delivers it; a generation's stream throws it).
    private func fail(_ work: TurnWork, _ error: ServeAPIError) {
        switch work {
        case .pass(let task):
            task.fail(error)
            endedThisTurn += 1
        case .prompt(let task), .decode(let task):
            end(task, throwing: error)
        }
    }

    /// Closes a generation's event stream (with `error`, if any); it leaves `active` at the end of the turn.
    private func end(_ task: GenerationTask, throwing error: ServeAPIError?) {
        guard !task.ended else { return }
        task.ended = true
        if let error { task.events.finish(throwing: error) } else { task.events.finish() }
        endedThisTurn += 1
    }

    /// The next token of `task` (its decode step ran in the turn's pass, or runs here when it was not in it).
    private func step(_ task: GenerationTask) {
        guard let generation = task.generation else { return end(task, throwing: nil) }
        do {
            switch try generation.step() {
            case .token(let token):
                metrics.generatedToken()
                let piece = task.pieces.append(token)
                if !piece.isEmpty { task.events.yield(.text(piece)) }
            case .finished(let reason):
                let rest = task.pieces.finish()
                if !rest.isEmpty { task.events.yield(.text(rest)) }
                task.events.yield(.finished(FinishReason(reason), completionTokens: generation.generated.count))
                end(task, throwing: nil)
            }
        } catch {
            end(task, throwing: Self.apiError(error))
        }
    }

    /// Why work on `ticket` should stop now (its client went away, or its time is up); nil to go on.
    private func abandoned(_ ticket: RequestTicket) -> ServeAPIError? {
        if ticket.cancellation.isCancelled || !ticket.connected() { return Self.cancelled }
        if ticket.expired { return .timedOut(seconds: limits.requestTimeoutSeconds) }
        return nil
    }

    static let cancelled = ServeAPIError(
        status: 499, message: "the client closed the request", type: "server_error",
        code: "cancelled")

    static func apiError(_ error: any Error) -> ServeAPIError {
        switch error {
        case let error as ServeAPIError: error
        case let error as ServingError: error.apiError
        default: .internalFailure(error)
        }
    }
}
