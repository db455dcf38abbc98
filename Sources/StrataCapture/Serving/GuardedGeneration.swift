import Dispatch
import StrataModel

/// Generation with a probe as the guard, the paper's orchestration without a second model: the prompt's
/// prefill feeds the probe through the hidden-state tap, a flagged prompt is refused before any token is
/// generated, and an accepted one is answered from the same KV cache (the prompt runs once).
public enum GuardedGeneration {
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

    /// Runs `prompt` through `model` once; with a `guard`, refuses when it predicts class 1 (for a binary
    /// probe: P(class 1) >= `threshold`, default the checkpoint's validation threshold, else 0.5).
    /// Otherwise decodes up to `maxTokens` tokens with `sampling`, stopping at `stopTokens`;
    /// `onToken` sees each token as it is produced and may return false to stop.
    public static func run(model: LlamaModel, prompt: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy,
                           stopTokens: Set<Int32>, guard probe: ServingProbe? = nil, threshold: Float? = nil,
                           onToken: (Int32) throws -> Bool = { _ in true }) throws -> Result {
        guard !prompt.isEmpty else { throw ServingError.emptyPrompt(source: "prompt") }
        var sampler = try TokenSampler(options: sampling)
        let prefillStart = DispatchTime.now().uptimeNanoseconds
        if let probe { try probe.begin(tokens: prompt.count) }
        let session = try GenerationSession(
            model: model, prompt: prompt, maxNewTokens: maxTokens,
            request: probe.map { HiddenStateRequest(layers: $0.request.layers) } ?? HiddenStateRequest(layers: []),
            sink: probe)
        var verdict: ProbeVerdict?
        if let probe {
            if probe.live.needsFeatures { try probe.receiveLastLogits(try session.nextLogits) }
            verdict = try probe.finish(threshold: threshold)
        }
        let prefillSeconds = seconds(since: prefillStart)
        if let verdict, verdict.flagged {
            return Result(verdict: verdict, refused: true, tokens: [], stop: nil, promptTokens: prompt.count,
                          prefillSeconds: prefillSeconds, decodeSeconds: 0)
        }
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        let (tokens, stop) = try session.generate(maxTokens: maxTokens, sampler: &sampler, stopTokens: stopTokens,
                                                  onToken: onToken)
        return Result(verdict: verdict, refused: false, tokens: tokens, stop: stop, promptTokens: prompt.count,
                      prefillSeconds: prefillSeconds, decodeSeconds: seconds(since: decodeStart))
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
