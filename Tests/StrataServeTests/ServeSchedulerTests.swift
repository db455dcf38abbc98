import Foundation
import StrataModel
import StrataProbe
import Testing

@testable import StrataServe

/// The scheduler's queue bound, packing, interleaving, cancellation and shutdown, without HTTP.
@Suite(.serialized)
struct ServeSchedulerTests {
    static func scheduler(_ model: ServedModel, limits: ServeLimits, probes: [(name: String, probe: ServingProbe)] = [])
        throws -> (ServeScheduler, ServeMetrics)
    {
        let metrics = ServeMetrics()
        let registry = try ProbeRegistry(probes: probes, config: model.llama.config)
        return (ServeScheduler(model: model, probes: registry, limits: limits, metrics: metrics), metrics)
    }

    /// Collects a pass task's result.
    final class Outcome<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Result<Value, ServeAPIError>?
        var result: Result<Value, ServeAPIError>? { lock.lock(); defer { lock.unlock() }; return stored }
        func deliver(_ result: Result<Value, ServeAPIError>) { lock.lock(); stored = result; lock.unlock() }
    }

    static func waitFor(_ condition: () -> Bool) {
        let start = Date()
        while !condition() && Date().timeIntervalSince(start) < 60 { usleep(2_000) }
    }

    @Test func fullQueueRefusesAtOnceAndShutdownFinishesAdmittedWork() throws {
        let model = try ServeTestServer.loadModel()
        var limits = ServeLimits()
        limits.queueLimit = 3
        let (scheduler, metrics) = try Self.scheduler(model, limits: limits)
        let tokens = model.tokenizer.encode("the cat sat")
        let outcomes = (0..<3).map { _ in Outcome<HiddenStatesResult>() }
        // Not started yet: three tasks wait, the fourth is refused with 429 and Retry-After.
        for outcome in outcomes {
            try scheduler.submit(
                HiddenStatesTask(
                    ticket: RequestTicket(timeoutSeconds: 60), tokens: tokens, layers: [1],
                    pooling: .last, hiddenSize: 32, deliver: outcome.deliver))
        }
        #expect(scheduler.depth == 3)
        let refused = #expect(throws: ServeAPIError.self) {
            try scheduler.submit(
                HiddenStatesTask(
                    ticket: RequestTicket(timeoutSeconds: 60), tokens: tokens, layers: [1],
                    pooling: .last, hiddenSize: 32, deliver: { _ in }))
        }
        #expect(refused?.status == 429 && refused?.retryAfterSeconds == 1)
        // Packed: the three waiting texts run in one pass; shutdown returns once they are done.
        scheduler.start()
        scheduler.shutdown()
        for outcome in outcomes { #expect(try outcome.result?.get().shape == [1, 32]) }
        #expect(metrics.render().contains("strata_packed_pass_texts_count 1"))
        #expect(throws: ServeAPIError.shuttingDown) {
            try scheduler.submit(
                HiddenStatesTask(
                    ticket: RequestTicket(timeoutSeconds: 60), tokens: tokens, layers: [1],
                    pooling: .last, hiddenSize: 32, deliver: { _ in }))
        }
    }

    /// Two generations admitted together advance one step each in turn, and each produces what it would alone.
    @Test func generationsInterleaveAndMatchRunningAlone() async throws {
        let model = try ServeTestServer.loadModel()
        let (scheduler, _) = try Self.scheduler(model, limits: ServeLimits())
        let prompts = ["the cat", "and the dog is"].map { model.encode($0, raw: true) }
        var streams: [AsyncThrowingStream<GenerationEvent, any Error>] = []
        for prompt in prompts {
            let (events, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self)
            try scheduler.submit(
                GenerationTask(
                    ticket: RequestTicket(timeoutSeconds: 60), prompt: prompt, maxTokens: 5,
                    sampling: .greedy, screened: false, threshold: nil,
                    tokenizer: model.tokenizer, events: continuation))
            streams.append(events)
        }
        scheduler.start()
        for (prompt, events) in zip(prompts, streams) {
            var text = ""
            for try await event in events { if case .text(let piece) = event { text += piece } }
            let alone = try GuardedGeneration.run(model: model.llama, prompt: prompt, maxTokens: 5, stopTokens: model.stopTokens)
            #expect(text == model.tokenizer.decode(alone.tokens))
        }
        scheduler.shutdown()
    }

    /// Generations, hidden-state and classify requests that wait together share one packed forward pass
    /// (prefills into their own KV caches, the guard fed from it), then decode in packed steps; each gets
    /// what it gets served alone: the same greedy tokens, the guard's and the classifier's probabilities
    /// within 1e-6, hidden states within the packing tolerance.
    @Test func concurrentPrefillsShareOnePassAndMatchRunningAlone() async throws {
        let model = try ServeTestServer.loadModel()
        let guardProbe = try ServeTestServer.probe(model, kind: .gate, seed: 3)
        let classifier = try ServeTestServer.probe(model, kind: .mha, seed: 8)
        let (scheduler, metrics) = try Self.scheduler(
            model, limits: ServeLimits(),
            probes: [("guard", guardProbe), ("topic", classifier)])
        let prompts = ["the cat", "and the dog is here", "a"].map { model.encode($0, raw: true) }
        var streams: [AsyncThrowingStream<GenerationEvent, any Error>] = []
        for (index, prompt) in prompts.enumerated() {
            let (events, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self)
            try scheduler.submit(
                GenerationTask(
                    ticket: RequestTicket(timeoutSeconds: 60), prompt: prompt, maxTokens: 6,
                    sampling: .greedy, screened: index != 2, threshold: 1.01,
                    tokenizer: model.tokenizer, events: continuation))
            streams.append(events)
        }
        let texts = ["the cat sat on the mat", "dogs"].map { model.tokenizer.encode($0) }
        let states = texts.map { _ in Outcome<HiddenStatesResult>() }
        for (text, outcome) in zip(texts, states) {
            try scheduler.submit(
                HiddenStatesTask(
                    ticket: RequestTicket(timeoutSeconds: 60), tokens: text, layers: [3, 0],
                    pooling: .none, hiddenSize: 32, deliver: outcome.deliver))
        }
        let verdicts = Outcome<[[ProbeVerdict]]>()
        try scheduler.submit(
            ClassifyTask(
                ticket: RequestTicket(timeoutSeconds: 60), texts: texts, probeNames: ["topic", "guard"],
                threshold: nil, deliver: verdicts.deliver))
        scheduler.start()

        for (index, (prompt, events)) in zip(prompts, streams).enumerated() {
            var text = "", verdict: ProbeVerdict?
            for try await event in events {
                switch event {
                case .started(_, let reported): verdict = reported
                case .text(let piece): text += piece
                case .finished: break
                }
            }
            let alone = try GuardedGeneration.run(
                model: model.llama, prompt: prompt, maxTokens: 6, stopTokens: model.stopTokens,
                guard: index != 2 ? guardProbe : nil, threshold: 1.01)
            #expect(text == model.tokenizer.decode(alone.tokens), "prompt \(index)")
            #expect((verdict == nil) == (index == 2))
            if let verdict, let reference = alone.verdict {
                #expect(abs(verdict.probability - reference.probability) <= 1e-6, "guard on prompt \(index)")
            }
        }
        scheduler.shutdown()

        for (text, outcome) in zip(texts, states) {
            let result = try #require(try outcome.result?.get())
            let all = try model.llama.hiddenStates(tokens: text)
            let block = text.count * 32
            #expect(result.shape == [2, text.count, 32])
            #expect(relativeError(Array(result.values[..<block]), Array(all[(3 * block)..<(4 * block)])) <= 1e-5)
            #expect(relativeError(Array(result.values[block...]), Array(all[..<block])) <= 1e-5)
        }
        let rows = try #require(try verdicts.result?.get())
        for (text, row) in zip(texts, rows) {
            for (probe, verdict) in zip([classifier, guardProbe], row) {
                let alone = try probe.classify(model: model.llama, tokens: text)
                for (a, b) in zip(verdict.probabilities, alone.probabilities) { #expect(abs(a - b) <= 1e-6) }
            }
        }
        // One pass took the three prompts and the four texts together.
        let rendered = metrics.render()
        let seven = rendered.split(separator: "\n").first { $0.hasPrefix("strata_packed_pass_sequences_bucket{le=\"4.0\"}") }
        let all = rendered.split(separator: "\n").first { $0.hasPrefix("strata_packed_pass_sequences_bucket{le=\"8.0\"}") }
        let atMostFour = Int(seven?.split(separator: " ").last ?? "") ?? -1
        let atMostEight = Int(all?.split(separator: " ").last ?? "") ?? -1
        #expect(atMostEight - atMostFour == 1, "exactly one pass packed 5 to 8 sequences:\n\(rendered)")
        #expect(rendered.contains("strata_packed_pass_texts_count 1"))
    }

    @Test func cancelledAndExpiredWorkIsDropped() throws {
        let model = try ServeTestServer.loadModel()
        let (scheduler, _) = try Self.scheduler(model, limits: ServeLimits())
        let tokens = model.tokenizer.encode("the cat sat")
        let cancelled = Outcome<HiddenStatesResult>(), expired = Outcome<HiddenStatesResult>()
        let ticket = RequestTicket(timeoutSeconds: 60)
        ticket.cancellation.cancel()
        try scheduler.submit(
            HiddenStatesTask(
                ticket: ticket, tokens: tokens, layers: [0], pooling: .none, hiddenSize: 32,
                deliver: cancelled.deliver))
        try scheduler.submit(
            HiddenStatesTask(
                ticket: RequestTicket(timeoutSeconds: 0), tokens: tokens, layers: [0],
                pooling: .none, hiddenSize: 32, deliver: expired.deliver))
        usleep(1000)
        scheduler.start()
        scheduler.shutdown()
        #expect(throws: ServeScheduler.cancelled) { try cancelled.result?.get() }
        #expect(throws: ServeAPIError.self) { try expired.result?.get() }
        if case .failure(let error)? = expired.result { #expect(error.status == 504) }
    }

    /// The stepwise generation the server interleaves equals the KV-cache generation loop of the runtime.
    @Test func stepsEqualTheSessionLoop() throws {
        let model = try TinyServingModel.make()
        let prompt = ServingTests.prompt
        let session = try GenerationSession(model: model, prompt: prompt, maxNewTokens: 7)
        var sampler = try TokenSampler(options: SamplingOptions(temperature: 0.9, topK: 10, seed: 5))
        let reference = try session.generate(maxTokens: 7, sampler: &sampler, stopTokens: [])
        let stepped = try GuardedGeneration(
            model: model, prompt: prompt, maxTokens: 7,
            sampling: SamplingOptions(temperature: 0.9, topK: 10, seed: 5), stopTokens: [])
        var tokens: [Int32] = []
        while case .token(let token) = try stepped.step() { tokens.append(token) }
        #expect(tokens == reference.tokens)
        #expect(try stepped.step() == .finished(.maxTokens))
    }

    @Test func singleTurnChatIsTheTemplatesPrompt() throws {
        let template = ChatTemplate(defaultSystem: "You are helpful.")
        let user = ChatMessage(role: "user", content: "hi")
        #expect(try ChatPrompt.render([user], template: template) == template.prompt(user: "hi"))
        #expect(
            try ChatPrompt.render([ChatMessage(role: "system", content: "S"), user], template: template)
                == template.prompt(user: "hi", system: "S"))
        // More turns: the same ChatML framing, turn after turn.
        let rendered = try ChatPrompt.render([user, ChatMessage(role: "assistant", content: "hello"), user], template: template)
        #expect(rendered.hasPrefix(String(template.prompt(user: "hi").dropLast("<|im_start|>assistant\n".count))))
        #expect(rendered.hasSuffix("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"))
    }
}

/// ‖a − b‖ / ‖b‖ in Double.
private func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    var difference = 0.0, norm = 0.0
    for (x, y) in zip(a, b) {
        difference += (Double(x) - Double(y)) * (Double(x) - Double(y))
        norm += Double(y) * Double(y)
    }
    return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
}
