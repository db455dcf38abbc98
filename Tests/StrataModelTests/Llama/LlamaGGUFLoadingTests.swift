import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// Tiny random Llama models written with `GGUFWriter` (as the llama.cpp converter would: Q/K rows permuted),
/// loaded through `LlamaModel(path:)`, and checked against `NaiveLlama`; plus config parsing and load errors.
/// The GGUF files these tests write: one folder for the test process, removed when it exits.
private let modelFolder = Result { try TemporaryDirectories.processLifetime("llama-gguf") }

struct LlamaGGUFLoadingTests {
    /// Writes `weights` (HF layout) as a llama GGUF file and returns its path.
    static func write(
        _ c: LlamaConfig, _ w: HFLlamaWeights, architecture: String = "llama",
        metadata extra: [(String, GGUFValue)] = [], omit: Set<String> = [], omitTensors: Set<String> = [],
        ropeFactors: [Float]? = nil, reshape: [String: [Int]] = [:]
    ) throws -> String {
        var writer = try GGUFWriter()
        var metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string(architecture)),
            ("\(architecture).block_count", .uint32(UInt32(c.blockCount))),
            ("\(architecture).embedding_length", .uint32(UInt32(c.hiddenSize))),
            ("\(architecture).feed_forward_length", .uint32(UInt32(c.feedForwardSize))),
            ("\(architecture).attention.head_count", .uint32(UInt32(c.headCount))),
            ("\(architecture).attention.head_count_kv", .uint32(UInt32(c.keyValueHeadCount))),
            ("\(architecture).rope.freq_base", .float32(Float(c.ropeFrequencyBase))),
            ("\(architecture).attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon)),
            ("\(architecture).vocab_size", .uint32(UInt32(c.vocabularySize))),
            ("\(architecture).rope.dimension_count", .uint32(UInt32(c.headDimension)))
        ]
        metadata += extra
        for (key, value) in metadata where !omit.contains(key) { try writer.set(key, value) }
        let d = c.hiddenSize
        func add(_ name: String, _ shape: [Int], _ values: [Float]) throws {
            guard !omitTensors.contains(name) else { return }
            try writer.addTensor(name: name, shape: reshape[name] ?? shape, values: values)
        }
        try add("token_embd.weight", [d, c.vocabularySize], w.embedding)
        for (i, b) in w.blocks.enumerated() {
            try add("blk.\(i).attn_norm.weight", [d], b.attentionNorm)
            try add("blk.\(i).attn_q.weight", [d, c.queryWidth], HFLlamaWeights.permuteToGGUF(b.query, heads: c.headCount, columns: d))
            try add(
                "blk.\(i).attn_k.weight", [d, c.keyValueWidth], HFLlamaWeights.permuteToGGUF(b.key, heads: c.keyValueHeadCount, columns: d))
            try add("blk.\(i).attn_v.weight", [d, c.keyValueWidth], b.value)
            try add("blk.\(i).attn_output.weight", [c.queryWidth, d], b.attentionOutput)
            try add("blk.\(i).ffn_norm.weight", [d], b.feedForwardNorm)
            try add("blk.\(i).ffn_gate.weight", [d, c.feedForwardSize], b.gate)
            try add("blk.\(i).ffn_up.weight", [d, c.feedForwardSize], b.up)
            try add("blk.\(i).ffn_down.weight", [c.feedForwardSize, d], b.down)
        }
        try add("output_norm.weight", [d], w.outputNorm)
        if let output = w.output { try add("output.weight", [d, c.vocabularySize], output) }
        if let ropeFactors { try add("rope_freqs.weight", [ropeFactors.count], ropeFactors) }
        let path = try modelFolder.get().appendingPathComponent("llama-\(UUID().uuidString).gguf").path
        try writer.write(to: path)
        return path
    }

    /// Loads `path` and compares every hidden state and the log-probs of one text with the naive reference.
    static func checkLoaded(_ path: String, _ c: LlamaConfig, _ w: HFLlamaWeights, ropeFactors: [Float]? = nil) throws {
        let model = try LlamaModel(path: path, threads: 2)
        #expect(model.config == c)
        let tokens: [Int32] = [5, 17, 3, 60, 42, 8, 8, 1]
        let reference = NaiveLlama.run(c, w, tokens: tokens, ropeFactors: ropeFactors)
        let sink = RecordingSink()
        let result = try model.forward(batch: [tokens], request: HiddenStateRequest(wantLastLogProbs: true), sink: sink)
        for layer in 0...c.blockCount {
            let error = relativeError(try #require(sink.states[layer]?[0]), reference.states[layer].flatMap { $0 })
            #expect(error < 2e-5, "layer \(layer): relative error \(error)")
        }
        #expect(relativeError(result.lastLogProbs[0], reference.lastLogProbs) < 1e-5)
    }

    @Test func tiedGQAModelFromFile() throws {
        let c = LlamaTinyModelTests.config()
        let w = HFLlamaWeights.random(c, tied: true, seed: 21)
        try Self.checkLoaded(try Self.write(c, w), c, w)
    }

    @Test func untiedModelFromFile() throws {
        let c = LlamaTinyModelTests.config(tied: false)
        let w = HFLlamaWeights.random(c, tied: false, seed: 22)
        try Self.checkLoaded(try Self.write(c, w), c, w)
    }

    @Test func llama3ScalingFromMetadata() throws {
        let c = LlamaTinyModelTests.config(scaling: LlamaTinyModelTests.llama3)
        let w = HFLlamaWeights.random(c, tied: true, seed: 23)
        let path = try Self.write(
            c, w,
            metadata: [
                ("llama.rope.scaling.type", .string("llama3")), ("llama.rope.scaling.factor", .float32(8)),
                ("llama.rope.scaling.low_freq_factor", .float32(1)), ("llama.rope.scaling.high_freq_factor", .float32(4)),
                ("llama.rope.scaling.original_context_length", .uint32(125))
            ])
        try Self.checkLoaded(path, c, w)
    }

    @Test func linearScalingFromMetadata() throws {
        let c = LlamaTinyModelTests.config(scaling: .linear(factor: 2))
        let w = HFLlamaWeights.random(c, tied: true, seed: 24)
        let path = try Self.write(
            c, w,
            metadata: [
                ("llama.rope.scaling.type", .string("linear")),
                ("llama.rope.scaling.factor", .float32(2))
            ])
        try Self.checkLoaded(path, c, w)
    }

    @Test func ropeFrequencyFactorsFromTensor() throws {
        let c = LlamaTinyModelTests.config()
        let w = HFLlamaWeights.random(c, tied: true, seed: 25)
        let factors: [Float] = [1, 2, 3, 8]
        try Self.checkLoaded(try Self.write(c, w, ropeFactors: factors), c, w, ropeFactors: factors)
    }

    /// Loading must fail with an error of type `E` whose message contains every fragment.
    static func expectLoadError<E: Error & CustomStringConvertible>(_ type: E.Type, _ path: String, mentions fragments: [String]) {
        do {
            _ = try LlamaModel(path: path)
            Issue.record("loading \(path) should have failed")
        } catch let error as E {
            for fragment in fragments {
                #expect(error.description.contains(fragment), "'\(error.description)' should mention '\(fragment)'")
            }
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test func loadErrorsNameTheProblem() throws {
        let c = LlamaTinyModelTests.config()
        let w = HFLlamaWeights.random(c, tied: true, seed: 26)
        Self.expectLoadError(
            GGUFError.self, try Self.write(c, w, architecture: "mamba"), mentions: ["mamba", "llama", "gemma2", "qwen3", "phi3"])
        Self.expectLoadError(GGUFError.self, try Self.write(c, w, omit: ["llama.block_count"]), mentions: ["llama.block_count"])
        Self.expectLoadError(
            GGUFError.self, try Self.write(c, w, omitTensors: ["blk.1.ffn_up.weight"]),
            mentions: ["blk.1.ffn_up.weight"])
        Self.expectLoadError(
            LlamaError.self, try Self.write(c, w, reshape: ["blk.0.attn_k.weight": [32, 8, 2]]),
            mentions: ["blk.0.attn_k.weight", "[32, 16]"])
        Self.expectLoadError(
            LlamaError.self,
            try Self.write(
                c, w,
                metadata: [
                    ("llama.rope.scaling.type", .string("yarn")),
                    ("llama.rope.scaling.factor", .float32(4))
                ]),
            mentions: ["yarn"])
        Self.expectLoadError(
            LlamaError.self, try Self.write(c, w, metadata: [("llama.attention.head_count_kv", .uint32(3))]),
            mentions: ["head_count_kv"])
    }

    /// Models of a kind the runtime does not run are refused at load, saying what they are and listing the
    /// supported architectures; `ModelSupport` reports the same before any load.
    @Test func unsupportedKindsAreRefusedByName() throws {
        let c = LlamaTinyModelTests.config()
        let w = HFLlamaWeights.random(c, tied: true, seed: 28)
        let supported = ["llama", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"]
        Self.expectLoadError(
            GGUFError.self, try Self.write(c, w, architecture: "qwen3moe"),
            mentions: ["qwen3moe", "mixture-of-experts"] + supported)
        Self.expectLoadError(
            GGUFError.self, try Self.write(c, w, architecture: "rwkv7"),
            mentions: ["rwkv7", "recurrent"] + supported)
        Self.expectLoadError(GGUFError.self, try Self.write(c, w, architecture: "clip"), mentions: ["clip", "vision"])
        let mixtral = try Self.write(c, w, metadata: [("llama.expert_count", .uint32(8))])
        Self.expectLoadError(GGUFError.self, mixtral, mentions: ["llama.expert_count", "mixture-of-experts"])
        let problems = ModelSupport.problems(of: try GGUFFile(path: mixtral))
        #expect(problems.contains { $0.contains("llama.expert_count") }, "\(problems)")
        #expect(problems.contains { $0.contains("tokenizer") }, "the file has no tokenizer: \(problems)")
        // A gemma2 file lacking Gemma's post-sub-layer norms names the first missing tensor.
        Self.expectLoadError(
            GGUFError.self, try Self.write(c, w, architecture: "gemma2"),
            mentions: ["blk.0.post_attention_norm.weight"])
    }

    /// Sizes in the metadata that the tensors do not back are refused before anything is allocated
    /// from them (a small file with a 2^40 embedding length used to overflow or abort in allocation).
    @Test func metadataSizesAreCheckedAgainstTheTensorsBeforeAllocating() throws {
        let c = LlamaTinyModelTests.config()
        let w = HFLlamaWeights.random(c, tied: true, seed: 27)
        let hidden = 1 << 40, head = hidden / c.headCount
        Self.expectLoadError(
            LlamaError.self,
            try Self.write(
                c, w,
                metadata: [
                    ("llama.embedding_length", .uint64(UInt64(hidden))),
                    ("llama.rope.dimension_count", .uint64(UInt64(head)))
                ]),
            mentions: ["blk.0.attn_q.weight", "[\(hidden), \(hidden)]", "[32, 32]"])
        Self.expectLoadError(
            LlamaError.self, try Self.write(c, w, metadata: [("llama.feed_forward_length", .uint64(1 << 40))]),
            mentions: ["blk.0.ffn_gate.weight", "[32, \(1 << 40)]"])
        Self.expectLoadError(
            LlamaError.self,
            try Self.write(
                c, w,
                metadata: [
                    ("llama.attention.key_length", .uint64(1 << 62)),
                    ("llama.attention.value_length", .uint64(1 << 62)),
                    ("llama.rope.dimension_count", .uint64(1 << 62))
                ]),
            mentions: ["head_count", "does not fit"])
    }
}
