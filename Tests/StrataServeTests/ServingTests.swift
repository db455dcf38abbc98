import Foundation
import StrataModel
import StrataProbe
import Testing

@testable import StrataServe

/// Single-pass classification, KV-cache generation and the guard, on a tiny random model.
struct ServingTests {
    static let prompt: [Int32] = [5, 17, 3, 42, 8, 8, 61, 2, 30]

    /// The offline path built from library calls: every hidden state of the text, the dataset's captured
    /// layers selected as a capture would store them, the probe's positions batched, `Probe.predict`.
    static func offlineProbability(
        model: LlamaModel, checkpoint: ProbeCheckpoint, datasetLayers: [Int],
        tokens: [Int32]
    ) throws -> Float {
        let all = try model.hiddenStates(tokens: tokens)
        let d = model.config.hiddenSize, n = tokens.count
        let c = checkpoint.header.configuration
        var values: [Float] = []
        for position in c.layers {
            let layer = datasetLayers[position]
            values += all[(layer * n * d)..<((layer + 1) * n * d)]
        }
        let batch = Batch(
            count: 1, layers: c.layers.count, tokens: n, hidden: d, values: values,
            mask: [UInt8](repeating: 1, count: n), labels: [-1], ids: ["x"])
        return try checkpoint.makeProbe().predict(batch: batch).probabilities[1]
    }

    @Test(arguments: [ProbeKind.pooling, .gate, .mha])
    func classifyEqualsOfflinePath(kind: ProbeKind) throws {
        let model = try TinyServingModel.make()
        // The dataset captured hidden states 0, 2 and 3; the probe reads positions 2 and 0 (states 3 and 0).
        let datasetLayers = [0, 2, 3]
        let checkpoint = try TinyServingModel.checkpoint(kind: kind, datasetLayers: datasetLayers, positions: [2, 0], seed: 7)
        let serving = try ServingProbe(checkpoint: checkpoint, name: "tiny", config: model.config)
        #expect(serving.layerSource == .provenance)
        #expect(serving.modelLayers == [3, 0])
        #expect(serving.request.layers == [0, 3])
        for tokens in [Self.prompt, [9], Array(Self.prompt.reversed()) + Self.prompt] {
            let live = try serving.classify(model: model, tokens: tokens)
            let offline = try Self.offlineProbability(
                model: model, checkpoint: checkpoint, datasetLayers: datasetLayers,
                tokens: tokens)
            #expect(abs(live.probability - offline) <= 1e-5, "\(kind), \(tokens.count) tokens: \(live.probability) vs \(offline)")
            #expect(live.label == (live.probability >= 0.5 ? "harmful" : "benign"))
        }
    }

    @Test func checkpointWithoutProvenanceAssumesAllLayers() throws {
        let model = try TinyServingModel.make()
        let checkpoint = try TinyServingModel.checkpoint(kind: .gate, datasetLayers: nil, positions: [1, 3], seed: 8)
        let serving = try ServingProbe(checkpoint: checkpoint, name: "tiny", config: model.config)
        #expect(serving.layerSource == .assumedAllLayers)
        let live = try serving.classify(model: model, tokens: Self.prompt)
        let offline = try Self.offlineProbability(
            model: model, checkpoint: checkpoint, datasetLayers: [0, 1, 2, 3],
            tokens: Self.prompt)
        #expect(abs(live.probability - offline) <= 1e-5)
        #expect(live.layerWeights?.count == 2)
    }

    @Test func probeForAnotherModelIsRejected() throws {
        let model = try TinyServingModel.make()
        var wide = try TinyServingModel.checkpoint(kind: .pooling, datasetLayers: nil, positions: [0], seed: 1)
        wide.header.configuration.hidden = 64
        #expect(throws: ServingError.self) { try ServingProbe(checkpoint: wide, name: "wide", config: model.config) }
        let deep = try TinyServingModel.checkpoint(kind: .pooling, datasetLayers: Array(0..<10), positions: [9], seed: 1)
        #expect(throws: ServingError.layerOutOfRange(probe: "deep", layer: 9, numHiddenStates: 4)) {
            try ServingProbe(checkpoint: deep, name: "deep", config: model.config)
        }
    }

    /// Decoding against the KV cache gives the logits of re-running the whole sequence.
    @Test func kvCacheDecodeEqualsFullForward() throws {
        let model = try TinyServingModel.make()
        let cache = try KVCache(model: model, capacity: 32)
        var sequence = Self.prompt
        var logits = try model.extend(sequence, cache: cache)
        for step in 0..<6 {
            let reference = try model.forward(batch: [sequence], request: .logProbsOnly, sink: nil).lastLogProbs[0]
            let ours = logSoftmax(logits)
            let scale = reference.map { abs($0) }.max() ?? 1
            let worst = zip(ours, reference).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1e-4 * scale, "step \(step): worst log-prob difference \(worst)")
            let next = TokenSampler.argmax(logits)
            sequence.append(next)
            logits = try model.extend([next], cache: cache)
        }
        #expect(cache.count == sequence.count)
    }

    /// The prefill through the cache hands out the same hidden states as the packed forward pass.
    @Test func prefillHiddenStatesEqualForward() throws {
        let model = try TinyServingModel.make()
        let expected = try model.hiddenStates(tokens: Self.prompt)
        let collector = Collector()
        _ = try model.extend(Self.prompt, cache: try KVCache(model: model, capacity: 16), request: .allLayers, sink: collector)
        #expect(collector.layers == [0, 1, 2, 3])
        let worst = zip(collector.values, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(collector.values.count == expected.count && worst <= 1e-5)
    }

    @Test func cacheOverflowAndBadTokensAreErrors() throws {
        let model = try TinyServingModel.make()
        let cache = try KVCache(model: model, capacity: 4)
        #expect(throws: LlamaError.self) { try model.extend([1, 2, 3, 4, 5], cache: cache) }
        #expect(throws: LlamaError.self) { try model.extend([1, 999], cache: cache) }
        #expect(cache.count == 0)
        _ = try model.extend([1, 2, 3], cache: cache)
        #expect(throws: LlamaError.self) { try model.extend([1, 2], cache: cache) }
        #expect(cache.count == 3)
    }

    @Test func greedyGenerationIsDeterministicAndSamplingIsSeeded() throws {
        let model = try TinyServingModel.make()
        func run(_ options: SamplingOptions) throws -> [Int32] {
            let session = try GenerationSession(model: model, prompt: Self.prompt, maxNewTokens: 8)
            var sampler = try TokenSampler(options: options)
            return try session.generate(maxTokens: 8, sampler: &sampler, stopTokens: []).tokens
        }
        let greedy = try run(.greedy)
        #expect(greedy.count == 8)
        #expect(try run(.greedy) == greedy)
        let sampled = SamplingOptions(temperature: 1.5, topK: 20, seed: 3)
        #expect(try run(sampled) == run(sampled))
        // Greedy tokens are the argmax of a full re-forward at every step.
        var sequence = Self.prompt
        for token in greedy {
            let logProbs = try model.forward(batch: [sequence], request: .logProbsOnly, sink: nil).lastLogProbs[0]
            #expect(TokenSampler.argmax(logProbs) == token)
            sequence.append(token)
        }
    }

    @Test func generationStopsAtStopToken() throws {
        let model = try TinyServingModel.make()
        let session = try GenerationSession(model: model, prompt: Self.prompt, maxNewTokens: 8)
        var sampler = try TokenSampler(options: .greedy)
        let free = try session.generate(maxTokens: 8, sampler: &sampler, stopTokens: []).tokens
        let stop = free[3]
        let stopped = try GenerationSession(model: model, prompt: Self.prompt, maxNewTokens: 8)
        let result = try stopped.generate(maxTokens: 8, sampler: &sampler, stopTokens: [stop])
        #expect(result.stop == .stopToken)
        #expect(result.tokens == Array(free.prefix(while: { $0 != stop })))
    }

    /// A guard whose head forces "harmful" refuses before any token; one forcing "benign" lets the
    /// prompt be answered exactly as without a guard.
    @Test(arguments: [ProbeKind.pooling, .gate, .mha])
    func guardRefusesOrAnswers(kind: ProbeKind) throws {
        let model = try TinyServingModel.make()
        let unguarded = try GuardedGeneration.run(model: model, prompt: Self.prompt, maxTokens: 5, stopTokens: [])
        #expect(!unguarded.refused && unguarded.tokens.count == 5 && unguarded.verdict == nil)

        let harmful = try ServingProbe(
            checkpoint: try TinyServingModel.checkpoint(
                kind: kind, datasetLayers: [0, 1, 2, 3], positions: [0, 1, 2, 3],
                seed: 3, headBias: 20),
            name: "harmful", config: model.config)
        var seen = 0
        let refused = try GuardedGeneration.run(
            model: model, prompt: Self.prompt, maxTokens: 5, stopTokens: [],
            guard: harmful
        ) { _ in
            seen += 1; return true
        }
        #expect(refused.refused && refused.tokens.isEmpty && seen == 0)
        #expect(try #require(refused.verdict).probability > 0.99 && refused.verdict?.label == "harmful")

        let benign = try ServingProbe(
            checkpoint: try TinyServingModel.checkpoint(
                kind: kind, datasetLayers: [0, 1, 2, 3], positions: [0, 1, 2, 3],
                seed: 3, headBias: -20),
            name: "benign", config: model.config)
        let answered = try GuardedGeneration.run(
            model: model, prompt: Self.prompt, maxTokens: 5, stopTokens: [],
            guard: benign)
        #expect(!answered.refused && answered.tokens == unguarded.tokens)
        #expect(try #require(answered.verdict).probability < 0.01)
    }

    /// The threshold decides: the same probe refuses under a threshold below its probability and answers
    /// above it; the checkpoint's stored threshold is the default.
    @Test func guardThreshold() throws {
        let model = try TinyServingModel.make()
        let checkpoint = try TinyServingModel.checkpoint(
            kind: .gate, datasetLayers: nil, positions: [0, 3], seed: 5,
            threshold: 0.01)
        let probe = try ServingProbe(checkpoint: checkpoint, name: "t", config: model.config)
        let p = try probe.classify(model: model, tokens: Self.prompt).probability
        #expect(p > 0.01 && p < 0.99)
        #expect(try GuardedGeneration.run(model: model, prompt: Self.prompt, maxTokens: 2, stopTokens: [], guard: probe).refused)
        #expect(
            try !GuardedGeneration.run(
                model: model, prompt: Self.prompt, maxTokens: 2, stopTokens: [], guard: probe,
                threshold: min(1, p + 0.001)
            ).refused)
        #expect(
            try GuardedGeneration.run(
                model: model, prompt: Self.prompt, maxTokens: 2, stopTokens: [], guard: probe,
                threshold: p
            ).refused)
    }
}

private func logSoftmax(_ logits: [Float]) -> [Float] {
    let maximum = logits.max() ?? 0
    let total = logits.reduce(0.0) { $0 + exp(Double($1 - maximum)) }
    return logits.map { $0 - maximum - Float(log(total)) }
}

/// Keeps every hidden state of one sequence in layer order.
private final class Collector: HiddenStateSink {
    var values: [Float] = []
    var layers: [Int] = []
    func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
        layers.append(layer)
        values += rows
    }

    /// A serving error says what, where and why, and carries the answer a server gives it.
    @Test func servingErrorsCarryTheirHTTPAnswer() {
        let empty = ServingError.emptyPrompt(source: "messages", field: "messages")
        #expect(empty.kind == .emptyPrompt && empty.description == "messages: the prompt: the text encodes to no tokens")
        #expect(
            empty.apiError.status == 400 && empty.apiError.type == "invalid_request_error"
                && empty.apiError.param == "messages")
        let wide = ServingError.hiddenSizeMismatch(probe: "p.probe", probeHidden: 64, modelHidden: 32)
        #expect(wide.apiError.status == 500 && wide.apiError.type == "server_error" && wide.apiError.param == nil)
        #expect(wide.description.contains("p.probe") && wide.description.contains("64") && wide.description.contains("32"))
        #expect(ServeScheduler.apiError(wide) == wide.apiError)
        #expect(ServingError.emptyPrompt(source: "--prompt").field == nil)
    }
}
