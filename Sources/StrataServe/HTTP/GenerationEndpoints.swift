import Foundation
import Hummingbird
import StrataModel

/// `POST /v1/chat/completions` and `POST /v1/completions`: a guarded prefill, then tokens, answered as one
/// JSON object or as server-sent events (`stream: true`).
struct GenerationEndpoints: Sendable {
    let context: ServeContext

    func chat(_ request: Request, _ requestContext: ServeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(ChatCompletionRequest.self, from: request, limit: context.limits.maxBodyBytes)
        let text = try ChatPrompt.render(body.messages, template: context.model.chat)
        let tokens = try context.promptTokens(text, field: "messages")
        var settings = try settings(body.generation)
        if let explicit = body.maxCompletionTokens { settings.maxTokens = try checkedMaxTokens(explicit, field: "max_completion_tokens") }
        let (events, ticket) = try start(prompt: tokens, settings: settings, connected: requestContext.connected)
        let firstToken = firstTokenRecorder("/v1/chat/completions", requestContext)
        let header = context.header(prefix: "chatcmpl-")
        if body.generation.stream == true {
            let includeUsage = body.generation.streamOptions?.includeUsage == true
            return ServerSentEvents.response(events: events, ticket: ticket, firstToken: firstToken) { event, promptTokens in
                func chunk(_ delta: ChatMessageBody, finish: FinishReason? = nil, guardReport: ProbeReport? = nil)
                    -> CompletionEnvelope<ChatChoice>
                {
                    header.envelope(
                        "chat.completion.chunk", [ChatChoice(delta: delta, finishReason: finish)],
                        guardReport: guardReport)
                }
                switch event {
                case .started(_, let verdict):
                    return [chunk(.init(role: "assistant", content: ""), guardReport: verdict.map(ProbeReport.init))]
                case .text(let piece):
                    return [chunk(.init(content: piece))]
                case .finished(let reason, let completion):
                    var last = [chunk(.init(refusal: reason == .contentFilter ? Self.refusal : nil), finish: reason)]
                    if includeUsage {
                        last.append(
                            header.envelope(
                                "chat.completion.chunk", [ChatChoice](),
                                usage: Usage(prompt: promptTokens, completion: completion)))
                    }
                    return last
                }
            }
        }
        let outcome = try await GenerationOutcome.collect(events, ticket: ticket, firstToken: firstToken)
        let refused = outcome.finish == .contentFilter
        let message = ChatMessageBody(
            role: "assistant", content: refused ? nil : outcome.text,
            refusal: refused ? Self.refusal : nil)
        return try JSONResponse.make(
            header.envelope(
                "chat.completion", [ChatChoice(message: message, finishReason: outcome.finish)],
                usage: Usage(prompt: outcome.promptTokens, completion: outcome.completionTokens),
                guardReport: outcome.verdict.map(ProbeReport.init)))
    }

    func completion(_ request: Request, _ requestContext: ServeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CompletionRequest.self, from: request, limit: context.limits.maxBodyBytes)
        let tokens = try context.promptTokens(body.prompt, field: "prompt")
        let settings = try settings(body.generation, defaultMaxTokens: 16)
        let (events, ticket) = try start(prompt: tokens, settings: settings, connected: requestContext.connected)
        let firstToken = firstTokenRecorder("/v1/completions", requestContext)
        let header = context.header(prefix: "cmpl-")
        if body.generation.stream == true {
            let includeUsage = body.generation.streamOptions?.includeUsage == true
            return ServerSentEvents.response(events: events, ticket: ticket, firstToken: firstToken) { event, promptTokens in
                switch event {
                case .started(_, let verdict):
                    return [
                        header.envelope(
                            "text_completion", [TextChoice(text: "")],
                            guardReport: verdict.map(ProbeReport.init))
                    ]
                case .text(let piece):
                    return [header.envelope("text_completion", [TextChoice(text: piece)])]
                case .finished(let reason, let completion):
                    return [
                        header.envelope(
                            "text_completion", [TextChoice(text: "", finishReason: reason)],
                            usage: includeUsage ? Usage(prompt: promptTokens, completion: completion) : nil)
                    ]
                }
            }
        }
        let outcome = try await GenerationOutcome.collect(events, ticket: ticket, firstToken: firstToken)
        return try JSONResponse.make(
            header.envelope(
                "text_completion", [TextChoice(text: outcome.text, finishReason: outcome.finish)],
                usage: Usage(prompt: outcome.promptTokens, completion: outcome.completionTokens),
                guardReport: outcome.verdict.map(ProbeReport.init)))
    }

    static let refusal = "The request was refused: the guard probe flagged the prompt."

    /// Records the time from the request's arrival to its first generated text (streamed: when it is written).
    private func firstTokenRecorder(_ endpoint: String, _ requestContext: ServeRequestContext) -> @Sendable () -> Void {
        let metrics = context.metrics, receivedAt = requestContext.receivedAt
        return { metrics.firstToken(endpoint: endpoint, seconds: Double(DispatchTime.now().uptimeNanoseconds - receivedAt) / 1e9) }
    }

    struct Settings {
        var maxTokens: Int
        var sampling: SamplingOptions
    }

    /// Checks the sampling and length fields.
    private func settings(_ body: GenerationFields, defaultMaxTokens: Int? = nil) throws -> Settings {
        if let count = body.count, count != 1 { throw ServeAPIError.invalid("n", "only n = 1 is supported, got \(count)") }
        let temperature = body.temperature ?? 0
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw ServeAPIError.invalid("temperature", "must be between 0 and 2, got \(temperature)")
        }
        let topK = body.topK ?? 0
        guard topK >= 0 else { throw ServeAPIError.invalid("top_k", "must be >= 0, got \(topK)") }
        let seed = body.seed ?? 0
        guard seed >= 0 else { throw ServeAPIError.invalid("seed", "must be >= 0, got \(seed)") }
        let maxTokens = try checkedMaxTokens(
            body.maxTokens ?? defaultMaxTokens ?? context.limits.defaultCompletionTokens,
            field: "max_tokens")
        return Settings(
            maxTokens: maxTokens,
            sampling: SamplingOptions(temperature: Float(temperature), topK: topK, seed: UInt64(seed)))
    }

    private func checkedMaxTokens(_ value: Int, field: String) throws -> Int {
        let limit = context.limits.maxCompletionTokens
        guard (1...limit).contains(value) else {
            throw ServeAPIError.invalid(field, "must be between 1 and \(limit) (--max-completion-tokens), got \(value)")
        }
        return value
    }

    private func start(prompt: [Int32], settings: Settings, connected: @escaping @Sendable () -> Bool) throws
        -> (AsyncThrowingStream<GenerationEvent, any Error>, RequestTicket)
    {
        let ticket = RequestTicket(timeoutSeconds: context.limits.requestTimeoutSeconds, connected: connected)
        let (events, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self)
        continuation.onTermination = { _ in ticket.cancellation.cancel() }
        let task = GenerationTask(
            ticket: ticket, prompt: prompt, maxTokens: settings.maxTokens, sampling: settings.sampling,
            screened: true, threshold: context.guardThreshold, tokenizer: context.model.tokenizer,
            events: continuation)
        try context.scheduler.submit(task)
        return (events, ticket)
    }
}

/// A generation's events gathered into one answer.
struct GenerationOutcome {
    var text = ""
    var promptTokens = 0
    var completionTokens = 0
    var verdict: ProbeVerdict?
    var finish = FinishReason.stop

    /// Gathers `events`; `firstToken` is called when the first generated text arrives.
    static func collect(
        _ events: AsyncThrowingStream<GenerationEvent, any Error>, ticket: RequestTicket,
        firstToken: @Sendable () -> Void
    ) async throws -> Self {
        try await withTaskCancellationHandler {
            var outcome = GenerationOutcome()
            for try await event in events {
                switch event {
                case .started(let count, let verdict):
                    outcome.promptTokens = count
                    outcome.verdict = verdict
                case .text(let piece):
                    if outcome.text.isEmpty { firstToken() }
                    outcome.text += piece
                case .finished(let reason, let completion):
                    outcome.finish = reason
                    outcome.completionTokens = completion
                }
            }
            return outcome
        } onCancel: {
            ticket.cancellation.cancel()
        }
    }
}

/// `text/event-stream` answers: one `data:` line per chunk, `data: [DONE]` at the end; an error after the
/// stream began is sent as a `data:` line with OpenAI's error object.
enum ServerSentEvents {
    static let contentType = "text/event-stream"

    /// The stream of `events` as `chunks`; `firstToken` is called once the first generated text is written.
    static func response<Chunk: Encodable>(
        events: AsyncThrowingStream<GenerationEvent, any Error>, ticket: RequestTicket,
        firstToken: @escaping @Sendable () -> Void,
        chunks: @escaping @Sendable (_ event: GenerationEvent, _ promptTokens: Int) -> [Chunk]
    ) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var promptTokens = 0
                var sentText = false
                do {
                    for try await event in events {
                        if case .started(let count, _) = event { promptTokens = count }
                        for chunk in chunks(event, promptTokens) {
                            try await writer.write(ByteBuffer(string: "data: \(try JSONResponse.encodeLine(chunk))\n\n"))
                        }
                        if case .text = event, !sentText {
                            sentText = true
                            firstToken()
                        }
                    }
                } catch let error as ServeAPIError {
                    let line = (try? JSONResponse.encodeLine(ErrorEnvelope(error))) ?? "{}"
                    try await writer.write(ByteBuffer(string: "data: \(line)\n\n"))
                } catch {
                    ticket.cancellation.cancel()
                    throw error
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            })
    }
}
