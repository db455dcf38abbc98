/// One prompt being answered: the prompt is run once (the prefill, whose hidden states can feed a
/// probe through a sink), then tokens are decoded one at a time against the KV cache.
///
/// The two steps are separate so that a caller can look at what the prefill produced (for example a
/// guard probe's verdict) and decide whether to generate at all, without running the prompt twice.
public final class GenerationSession {
    public let model: LlamaModel
    public let cache: KVCache
    /// Prompt tokens followed by the tokens appended so far.
    public private(set) var tokens: [Int32]
    /// Number of prompt tokens.
    public let promptCount: Int
    /// Output logits for the token that follows `tokens` (computed lazily after `generate` ends at
    /// `maxTokens`, whose last token is appended without its decode step).
    public var nextLogits: [Float] {
        get throws {
            try flush()
            return logits
        }
    }
    private var logits: [Float]
    /// The last token of `tokens` when it has not been run through the model yet.
    private var uncached: Int32?

    /// Why `generate` stopped.
    public enum StopReason: String, Sendable {
        /// A stop token (end of sequence / end of turn) was sampled; it is not part of the output.
        case stopToken = "stop-token"
        /// `maxTokens` tokens were generated.
        case maxTokens = "max-tokens"
        /// The caller's `onToken` returned false.
        case cancelled
    }

    /// Runs the prefill of `prompt` with room for `maxNewTokens` more tokens, streaming the requested
    /// hidden states of the prompt to `sink`.
    public init(
        model: LlamaModel, prompt: [Int32], maxNewTokens: Int,
        request: HiddenStateRequest = HiddenStateRequest(layers: []), sink: HiddenStateSink? = nil
    ) throws {
        guard maxNewTokens >= 0 else { throw LlamaError.invalidInput("maxNewTokens must be >= 0, got \(maxNewTokens)") }
        self.model = model
        cache = try KVCache(model: model, capacity: max(1, prompt.count + maxNewTokens))
        tokens = prompt
        promptCount = prompt.count
        logits = try model.extend(prompt, cache: cache, request: request, sink: sink)
    }

    /// A session whose prompt a packed pass has already run into `cache` (`LlamaModel.forward(sequences:)`
    /// with `PackedSequence(tokens: prompt, cache: cache)`); `logits` is that pass's `nextLogits` for it.
    public init(model: LlamaModel, prompt: [Int32], prefilled cache: KVCache, logits: [Float]) throws {
        guard !prompt.isEmpty, cache.count == prompt.count else {
            throw LlamaError.invalidInput("the KV cache holds \(cache.count) tokens, not the prompt's \(prompt.count)")
        }
        guard logits.count == model.config.vocabularySize else {
            throw LlamaError.invalidInput("\(logits.count) logits for a vocabulary of \(model.config.vocabularySize)")
        }
        self.model = model
        self.cache = cache
        tokens = prompt
        promptCount = prompt.count
        self.logits = logits
    }

    /// Appends `token`, whose decode step a packed pass has already run into `cache` (`logits` is that
    /// pass's `nextLogits` for it): several sessions decode in one batch this way.
    public func append(_ token: Int32, decodedLogits: [Float]) throws {
        guard uncached == nil, cache.count == tokens.count + 1 else {
            throw LlamaError.invalidInput("the KV cache holds \(cache.count) tokens; a decoded token makes it \(tokens.count + 1)")
        }
        guard decodedLogits.count == model.config.vocabularySize else {
            throw LlamaError.invalidInput("\(decodedLogits.count) logits for a vocabulary of \(model.config.vocabularySize)")
        }
        logits = decodedLogits
        tokens.append(token)
    }

    /// Appends `token` to the sequence and computes the logits of the one after it (one decode step).
    public func append(_ token: Int32) throws {
        try flush()
        logits = try model.extend([token], cache: cache)
        tokens.append(token)
    }

    /// Runs the pending last token, if any, so that the cache and the logits cover all of `tokens`.
    private func flush() throws {
        guard let token = uncached else { return }
        logits = try model.extend([token], cache: cache)
        uncached = nil
    }

    /// Generated tokens (everything after the prompt).
    public var generated: [Int32] { Array(tokens[promptCount...]) }

    /// Samples up to `maxTokens` tokens, stopping early at any of `stopTokens` or when `onToken`
    /// returns false. Returns the new tokens (without a stop token) and why it stopped.
    public func generate(
        maxTokens: Int, sampler: inout TokenSampler, stopTokens: Set<Int32>,
        onToken: (Int32) throws -> Bool = { _ in true }
    ) throws -> (tokens: [Int32], stop: StopReason) {
        var produced: [Int32] = []
        try flush()
        while produced.count < maxTokens {
            let token = sampler.sample(logits)
            if stopTokens.contains(token) { return (produced, .stopToken) }
            produced.append(token)
            let keepGoing = try onToken(token)
            // The last token's own successor is never needed: skip its decode step.
            if produced.count < maxTokens && keepGoing {
                try append(token)
            } else {
                tokens.append(token)
                uncached = token
            }
            if !keepGoing { return (produced, .cancelled) }
        }
        return (produced, .maxTokens)
    }
}
