import StrataModel

/// Why a generation ended, in OpenAI's words.
public enum FinishReason: String, Codable, Sendable {
    /// An end-of-turn token.
    case stop
    /// `max_tokens` tokens were generated.
    case length
    /// The guard flagged the prompt; nothing was generated.
    case contentFilter = "content_filter"
    /// The client went away.
    case cancelled

    init(_ reason: GenerationSession.StopReason) {
        switch reason {
        case .stopToken: self = .stop
        case .maxTokens: self = .length
        case .cancelled: self = .cancelled
        }
    }
}

/// What a generation reports to its request, in order: `started` once, `text` pieces, `finished` once.
public enum GenerationEvent: Sendable {
    case started(promptTokens: Int, verdict: ProbeVerdict?)
    case text(String)
    case finished(FinishReason, completionTokens: Int)
}

/// A chat or completion request's work: a guarded prefill, then decoding steps interleaved with other
/// generations'.
final class GenerationTask {
    let ticket: RequestTicket
    let prompt: [Int32]
    let maxTokens: Int
    let sampling: SamplingOptions
    let screened: Bool
    let threshold: Float?
    let events: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    var generation: GuardedGeneration?
    var pieces: StreamingDetokenizer
    /// Its event stream is closed; the scheduler drops it at the end of the turn.
    var ended = false

    /// `screened`: the server's guard (if any) reads the prefill.
    init(
        ticket: RequestTicket, prompt: [Int32], maxTokens: Int, sampling: SamplingOptions, screened: Bool,
        threshold: Float?, tokenizer: Tokenizer, events: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    ) {
        self.ticket = ticket
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.screened = screened
        self.threshold = threshold
        self.events = events
        pieces = StreamingDetokenizer(tokenizer: tokenizer)
    }
}
