import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// SmolLM2-135M-Instruct (Q4_1) against Hugging Face transformers (float32, same GGUF), from the fixtures that
/// Tests/StrataModelTests/Fixtures/forward/gen_forward_golden.py wrote. Skipped when the model is not cached, except under CI=true.
struct LlamaGoldenTests {
    struct Golden: Decodable {
        struct Text: Decodable {
            let text: String
            let ids: [Int32]
            let offset: Int
            let top5: [Int32]
            let top5_log_probs: [Double]
        }
        let model_sha256: String
        let num_hidden_states: Int
        let hidden_size: Int
        let texts: [Text]
    }

    static let directory: URL? = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/forward")

    static let golden: Golden? = {
        guard let directory, let data = try? Data(contentsOf: directory.appendingPathComponent("golden.json")) else { return nil }
        return try? JSONDecoder().decode(Golden.self, from: data)
    }()

    static let states: [Float]? = {
        guard let directory, let data = try? Data(contentsOf: directory.appendingPathComponent("hidden_states.f32")) else {
            return nil
        }
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }()

    /// The real model, loaded once for all tests (nil when not cached).
    static let model: Result<LlamaModel, Error>? = {
        guard let path = ModelCache.existingPath(for: "smollm2") else { return nil }
        return Result { try LlamaModel(path: path, threads: 2) }
    }()

    /// The real model, or nil when it is not cached (tests that need it carry `.needsRealModel`).
    static func loadModel() throws -> LlamaModel? { try model?.get() }

    /// Golden `[layers][tokens][hidden]` of one text.
    static func goldenStates(_ text: Golden.Text, _ golden: Golden) throws -> ArraySlice<Float> {
        let states = try #require(Self.states)
        let count = golden.num_hidden_states * text.ids.count * golden.hidden_size
        return states[text.offset..<text.offset + count]
    }

    /// Per layer: relative L2 error ≤ 1e-4 and every token's cosine ≥ 0.9999.
    static func compare(ours: RecordingSink, sequence: Int, text: Golden.Text, golden: Golden) throws {
        let expected = try goldenStates(text, golden)
        let d = golden.hidden_size, tokens = text.ids.count
        for layer in 0..<golden.num_hidden_states {
            let rows = try #require(ours.states[layer]?[sequence])
            let reference = expected.dropFirst(layer * tokens * d).prefix(tokens * d)
            let error = relativeError(rows, reference)
            #expect(error <= 1e-4, "\(text.text.debugDescription) layer \(layer): relative error \(error)")
            for token in 0..<tokens {
                let similarity = cosine(
                    rows[(token * d)..<((token + 1) * d)],
                    reference.dropFirst(token * d).prefix(d))
                #expect(similarity >= 0.9999, "\(text.text.debugDescription) layer \(layer) token \(token): cosine \(similarity)")
            }
        }
    }

    @Test(.needsRealModel) func everyLayerMatchesHuggingFace() throws {
        let model = try #require(try Self.loadModel())
        let golden = try #require(Self.golden, "Fixtures/forward/golden.json is missing")
        #expect(model.numHiddenStates == golden.num_hidden_states && model.config.hiddenSize == golden.hidden_size)
        #expect(golden.model_sha256 == KnownModel.smollm2.sha256)
        #expect(golden.texts.count >= 8)
        for text in golden.texts {
            let sink = RecordingSink()
            let result = try model.forward(batch: [text.ids], request: HiddenStateRequest(wantLastLogProbs: true), sink: sink)
            try Self.compare(ours: sink, sequence: 0, text: text, golden: golden)
            #expect(Set(result.topTokens(sequence: 0, k: 5)) == Set(text.top5), "\(text.text.debugDescription)")
            for (token, logProb) in zip(text.top5, text.top5_log_probs) {
                #expect(abs(Double(result.lastLogProbs[0][Int(token)]) - logProb) < 1e-3)
            }
        }
    }

    @Test(.needsRealModel) func packedBatchMatchesUnpackedAndHuggingFace() throws {
        let model = try #require(try Self.loadModel())
        let golden = try #require(Self.golden, "Fixtures/forward/golden.json is missing")
        let packed = RecordingSink()
        let result = try model.forward(
            batch: golden.texts.map(\.ids), request: HiddenStateRequest(wantLastLogProbs: true),
            sink: packed)
        for (index, text) in golden.texts.enumerated() {
            try Self.compare(ours: packed, sequence: index, text: text, golden: golden)
            let alone = RecordingSink()
            let single = try model.forward(batch: [text.ids], request: HiddenStateRequest(wantLastLogProbs: true), sink: alone)
            for layer in 0..<golden.num_hidden_states {
                let a = try #require(packed.states[layer]?[index]), b = try #require(alone.states[layer]?[0])
                let error = relativeError(a, b)
                #expect(error <= 1e-5, "\(text.text.debugDescription) layer \(layer): packed vs alone \(error)")
            }
            #expect(Set(result.topTokens(sequence: index, k: 5)) == Set(text.top5))
            #expect(relativeError(result.lastLogProbs[index], single.lastLogProbs[0]) <= 1e-5)
        }
    }

    @Test(.needsRealModel) func configFromMetadata() throws {
        let model = try #require(try Self.loadModel())
        let c = model.config
        #expect(
            c
                == LlamaConfig(
                    architecture: "llama", blockCount: 30, hiddenSize: 576, feedForwardSize: 1536,
                    headCount: 9, keyValueHeadCount: 3, headDimension: 64, ropeDimension: 64,
                    ropeFrequencyBase: 100_000, ropeScaling: .none,
                    rmsNormEpsilon: Float(9.999999747378752e-06), vocabularySize: 49152, tiedOutput: true))
        #expect(model.weights.output === model.weights.tokenEmbedding)
    }
}
