import Dispatch
import StrataModel

/// Generation with a probe as the guard, the paper's orchestration without a second model: the prompt's
/// prefill feeds the probe through the hidden-state tap, a flagged prompt is refused before any token is
/// generated, and an accepted one is answered from the same KV cache (the prompt runs once).
///
/// `init` runs the prefill (and the guard); `step()` decodes one token. `strata generate` loops over the
/// steps in `run`; the server interleaves the steps of several generations.
public final class GuardedGeneration {
    /// What happened to one prompt.
    public struct Result: Sendable {
        /// The guard's verdict on the prompt (nil without a guard).
        public var verdict: ProbeVerdict?
        /// True when the guard flagged the prompt and nothing was generated.
        public var refused: Bool
        /// Generated tokens (empty when refused).
        public var tokens: [Int32]
        /// Why generation stopped (nil when refused).
        public var stop: GenerationSession.StopReason?
        /// Prompt length in tokens.
        public var promptTokens: Int
        /// Seconds spent in the prefill (including the probe's work) and in decoding.
        public var prefillSeconds: Double
        public var decodeSeconds: Double
    }

    /// One decoding step's outcome.
    public enum Step: Equatable, Sendable {
        /// A new token (not a stop token).
        case token(Int32)
        /// Generation ended; no token was produced by this step.
        case finished(GenerationSession.StopReason)
    }

    /// The guard's verdict on the prompt (nil without a guard).
    public let verdict: ProbeVerdict?
    /// Prompt length in tokens.
    public let promptTokens: Int
    /// Seconds spent in the prefill, the guard's work included.
    public let prefillSeconds: Double
    /// Tokens generated so far.
    public private(set) var generated: [Int32] = []

    private let session: GenerationSession?
    private var sampler: TokenSampler
    private let maxTokens: Int
    private let stopTokens: Set<Int32>
    /// The last generated token, not yet run through the model (its successor may never be needed).
    private var pending: Int32?
    private var finishedReason: GenerationSession.StopReason?

    /// Runs the prefill of `prompt` through `model` once; with a `guard`, the verdict refuses the prompt when
    /// the probe predicts class 1 (for a binary probe: P(class 1) >= `threshold`, default the checkpoint's
    /// validation threshold, else 0.5). Steps then decode up to `maxTokens` tokens with `sampling`, stopping
    /// at `stopTokens`.
    public convenience init(
        model: LlamaModel, prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy,
        stopTokens: Set<Int32>, guard probe: ServingProbe? = nil, threshold: Float? = nil
    ) throws {
        guard !prompt.isEmpty else { throw ServingError.emptyPrompt(source: "prompt") }
        let prefillStart = DispatchTime.now().uptimeNanoseconds
        if let probe { try probe.begin(tokens: prompt.count) }
        let session = try GenerationSession(
            model: model, prompt: prompt, maxNewTokens: maxTokens,
            request: probe.map { HiddenStateRequest(layers: $0.request.layers) } ?? HiddenStateRequest(layers: []),
            sink: probe)
        try self.init(
            prefilled: session, maxTokens: maxTokens, sampling: sampling, stopTokens: stopTokens,
            guard: probe, threshold: threshold, prefillStart: prefillStart)
    }

    /// A generation whose prompt has already been prefilled into `session` (for example in a packed pass
    /// shared with other requests), with `probe` (begun on the prompt) fed that pass's hidden states;
    /// `prefillStart` (`DispatchTime` uptime nanoseconds) is when the prefill began.
    public init(
        prefilled session: GenerationSession, maxTokens: Int, sampling: SamplingOptions = .greedy,
        stopTokens: Set<Int32>, guard probe: ServingProbe? = nil, threshold: Float? = nil,
        prefillStart: UInt64
    ) throws {
        sampler = try TokenSampler(options: sampling)
        self.maxTokens = maxTokens
        self.stopTokens = stopTokens
        promptTokens = session.promptCount
        var verdict: ProbeVerdict?
        if let probe {
            if probe.live.needsFeatures { try probe.receiveLastLogits(try session.nextLogits) }
            verdict = try probe.finish(threshold: threshold)
        }
        self.verdict = verdict
        self.session = verdict?.flagged == true ? nil : session
        prefillSeconds = Self.seconds(since: prefillStart)
    }

    /// True when the guard flagged the prompt: nothing will be generated.
    public var refused: Bool { session == nil }

    /// The token whose decode step the next `step()` needs and the cache it continues, when there is one: a
    /// caller that decodes several generations in one packed pass runs it and hands back its logits with
    /// `decoded(logits:)` before calling `step()`.
    public var pendingDecode: PackedSequence? {
        guard finishedReason == nil, let session, let pending, generated.count < maxTokens else { return nil }
        return PackedSequence(tokens: [pending], cache: session.cache)
    }

    /// Takes the logits of the `pendingDecode` step that a packed pass ran.
    public func decoded(logits: [Float]) throws {
        guard let session, let token = pending else {
            throw LlamaError.invalidInput("no decode step is pending for this generation")
        }
        try session.append(token, decodedLogits: logits)
        pending = nil
    }

    /// Decodes the next token, or says why generation has ended (a refused prompt ends at once with
    /// `.cancelled`).
    public func step() throws -> Step {
        if let finishedReason { return .finished(finishedReason) }
        guard let session else { return finish(.cancelled) }
        guard generated.count < maxTokens else { return finish(.maxTokens) }
        if let token = pending {
            try session.append(token)
            pending = nil
        }
        let token = sampler.sample(try session.nextLogits)
        if stopTokens.contains(token) { return finish(.stopToken) }
        generated.append(token)
        pending = token
        return .token(token)
    }

    private func finish(_ reason: GenerationSession.StopReason) -> Step {
        finishedReason = reason
        return .finished(reason)
    }

    /// Prefill, guard and generation in one call; `onToken` sees each token as it is produced and may
    /// return false to stop.
    public static func run(
        model: LlamaModel, prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy,
        stopTokens: Set<Int32>, guard probe: ServingProbe? = nil, threshold: Float? = nil,
        onToken: (Int32) throws -> Bool = { _ in true }
    ) throws -> Result {
        let generation = try GuardedGeneration(
            model: model, prompt: prompt, maxTokens: maxTokens, sampling: sampling,
            stopTokens: stopTokens, guard: probe, threshold: threshold)
        if generation.refused {
            return Result(
                verdict: generation.verdict, refused: true, tokens: [], stop: nil, promptTokens: prompt.count,
                prefillSeconds: generation.prefillSeconds, decodeSeconds: 0)
        }
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        var stop = GenerationSession.StopReason.maxTokens
        decoding: while true {
            switch try generation.step() {
            case .token(let token):
                if try !onToken(token) {
                    stop = .cancelled
                    break decoding
                }
            case .finished(let reason):
                stop = reason
                break decoding
            }
        }
        return Result(
            verdict: generation.verdict, refused: false, tokens: generation.generated, stop: stop,
            promptTokens: prompt.count, prefillSeconds: generation.prefillSeconds,
            decodeSeconds: seconds(since: decodeStart))
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
