import Foundation
import Testing

@testable import StrataModel

/// The forward pass on tiny random models against `NaiveLlama` (Double, loops, Hugging Face RoPE convention on
/// unpermuted weights), covering GQA, tied/untied heads, RoPE scaling, packing and the sink contract.
struct LlamaTinyModelTests {
    static func config(
        scaling: RopeScaling = .none, tied: Bool = true, kvHeads: Int = 2,
        headDimension: Int? = nil
    ) -> LlamaConfig {
        LlamaConfig(
            blockCount: 2, hiddenSize: 32, feedForwardSize: 48, headCount: 4, keyValueHeadCount: kvHeads,
            headDimension: headDimension, ropeFrequencyBase: 10_000, ropeScaling: scaling,
            rmsNormEpsilon: 1e-5, vocabularySize: 61, tiedOutput: tied)
    }

    static let texts: [[Int32]] = [[7], [3, 14, 15, 9, 2], [60, 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55]]

    /// Runs every text alone through both implementations and compares all hidden states and log-probs.
    func checkAgainstNaive(_ c: LlamaConfig, tied: Bool, seed: UInt64, ropeFactors: [Float]? = nil) throws {
        let hf = HFLlamaWeights.random(c, tied: tied, seed: seed)
        let model = try LlamaModel(config: c, weights: try hf.ggufWeights(c, ropeFrequencyFactors: ropeFactors), threads: 2)
        for tokens in Self.texts {
            let reference = NaiveLlama.run(c, hf, tokens: tokens, ropeFactors: ropeFactors)
            let sink = RecordingSink()
            let result = try model.forward(batch: [tokens], request: HiddenStateRequest(wantLastLogProbs: true), sink: sink)
            #expect(result.layers == Array(0...c.blockCount))
            for layer in 0...c.blockCount {
                let ours = try #require(sink.states[layer]?[0])
                let expected = reference.states[layer].flatMap { $0 }
                #expect(ours.count == expected.count)
                let error = relativeError(ours, expected)
                #expect(error < 2e-5, "layer \(layer), \(tokens.count) tokens: relative error \(error)")
            }
            let logProbs = try #require(sink.logProbs[0])
            #expect(result.lastLogProbs.count == 1 && result.lastLogProbs[0] == logProbs)
            let maxDifference = zip(logProbs, reference.lastLogProbs).map { abs(Double($0) - $1) }.max() ?? 1
            #expect(maxDifference < 1e-4, "log-prob difference \(maxDifference)")
        }
    }

    @Test func groupedQueryAttentionTiedHead() throws {
        try checkAgainstNaive(Self.config(), tied: true, seed: 1)
    }

    @Test func multiHeadAttentionUntiedHead() throws {
        try checkAgainstNaive(Self.config(tied: false, kvHeads: 4), tied: false, seed: 2)
    }

    @Test func multiQueryAttentionWithWideHeads() throws {
        // One key/value head shared by all four query heads; head dimension 16 ≠ hidden / heads.
        try checkAgainstNaive(Self.config(kvHeads: 1, headDimension: 16), tied: true, seed: 3)
    }

    @Test func linearRopeScaling() throws {
        try checkAgainstNaive(Self.config(scaling: .linear(factor: 4), tied: false), tied: false, seed: 4)
    }

    /// Llama-3 scaling with an original context short enough that the four frequencies of an 8-wide head
    /// fall into all three regimes (kept, smoothed, divided).
    static let llama3 = RopeScaling.llama3(
        factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
        originalContextLength: 125)

    @Test func llama3RopeScaling() throws {
        try checkAgainstNaive(Self.config(scaling: Self.llama3), tied: true, seed: 5)
    }

    @Test func ropeFrequencyFactorsTensor() throws {
        try checkAgainstNaive(Self.config(), tied: true, seed: 6, ropeFactors: [1, 1.5, 4, 16])
    }

    @Test func rotaryFrequenciesMatchHuggingFaceFormulas() throws {
        let c = Self.config(scaling: Self.llama3)
        #expect(c.headDimension == 8)
        let ours = RotaryEmbedding(config: c, frequencyFactors: nil).inverseFrequencies
        let reference = NaiveLlama.inverseFrequencies(c, factors: nil)
        for (a, b) in zip(ours, reference) { #expect(abs(a - b) <= 1e-12 * b) }
        // Kept, smoothed, divided, divided.
        let plain = NaiveLlama.inverseFrequencies(Self.config(), factors: nil)
        #expect(ours[0] == plain[0])
        #expect(ours[1] < plain[1] && ours[1] > plain[1] / 8)
        #expect(abs(ours[2] - plain[2] / 8) < 1e-15 && abs(ours[3] - plain[3] / 8) < 1e-15)
    }

    @Test func packedBatchEqualsSeparateRuns() throws {
        let c = Self.config()
        let model = try LlamaModel(config: c, weights: try HFLlamaWeights.random(c, tied: true, seed: 7).ggufWeights(c))
        let packed = RecordingSink()
        let result = try model.forward(batch: Self.texts, request: HiddenStateRequest(wantLastLogProbs: true), sink: packed)
        #expect(result.tokenCounts == Self.texts.map(\.count))
        for (index, tokens) in Self.texts.enumerated() {
            let alone = RecordingSink()
            let single = try model.forward(batch: [tokens], request: HiddenStateRequest(wantLastLogProbs: true), sink: alone)
            for layer in 0...c.blockCount {
                let a = try #require(packed.states[layer]?[index]), b = try #require(alone.states[layer]?[0])
                #expect(a.count == tokens.count * c.hiddenSize)
                #expect(relativeError(a, b) < packingTolerance, "sequence \(index), layer \(layer)")
            }
            #expect(relativeError(result.lastLogProbs[index], single.lastLogProbs[0]) < packingTolerance)
        }
    }

    @Test func requestedLayersOnlyInOrder() throws {
        let c = Self.config()
        let model = try LlamaModel(config: c, weights: try HFLlamaWeights.random(c, tied: true, seed: 8).ggufWeights(c))
        let sink = RecordingSink()
        let result = try model.forward(batch: [[1, 2, 3], [4, 5]], request: HiddenStateRequest(layers: [2, 0]), sink: sink)
        #expect(result.layers == [0, 2])
        #expect(sink.order == [0, 0, 2, 2])
        #expect(result.lastLogProbs.isEmpty)
        // hiddenStates(tokens:) is [layers][tokens][hidden] and agrees with the streamed rows: the embedding rows
        // to the bit (a copy), later layers within the packing tolerance (the text ran alone, not packed).
        let all = try model.hiddenStates(tokens: [1, 2, 3])
        #expect(all.count == model.numHiddenStates * 3 * c.hiddenSize)
        let layer2 = Array(all[(2 * 3 * c.hiddenSize)..<(3 * 3 * c.hiddenSize)])
        #expect(relativeError(layer2, try #require(sink.states[2]?[0])) < packingTolerance)
        let layer0 = Array(all[0..<(3 * c.hiddenSize)])
        #expect(layer0 == sink.states[0]?[0])
    }

    @Test func invalidInputsThrow() throws {
        let c = Self.config()
        let model = try LlamaModel(config: c, weights: try HFLlamaWeights.random(c, tied: true, seed: 9).ggufWeights(c))
        #expect(throws: LlamaError.tokenOutOfRange(sequence: 1, position: 2, token: 61, vocabularySize: 61)) {
            try model.forward(batch: [[1], [1, 2, 61]], sink: nil)
        }
        #expect(throws: LlamaError.tokenOutOfRange(sequence: 0, position: 0, token: -1, vocabularySize: 61)) {
            try model.forward(batch: [[-1]], sink: nil)
        }
        #expect(throws: LlamaError.invalidInput("sequence 1 has no tokens")) {
            try model.forward(batch: [[1], []], sink: nil)
        }
        #expect(throws: LlamaError.invalidInput("the batch has no sequences")) {
            try model.forward(batch: [], sink: nil)
        }
        #expect(throws: LlamaError.layerOutOfRange(layer: 3, numHiddenStates: 3)) {
            try model.forward(batch: [[1]], request: HiddenStateRequest(layers: [3]), sink: nil)
        }
        #expect(throws: LlamaError.self) {
            try LlamaConfig(
                blockCount: 1, hiddenSize: 32, feedForwardSize: 8, headCount: 4, keyValueHeadCount: 3,
                vocabularySize: 5, tiedOutput: true
            ).validate()
        }
    }

    struct SinkFailure: Error, Equatable {}

    final class FailingSink: HiddenStateSink {
        var calls = 0
        func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
            calls += 1
            if layer == 1 { throw SinkFailure() }
        }
    }

    @Test func sinkErrorStopsTheForwardPass() throws {
        let c = Self.config()
        let model = try LlamaModel(config: c, weights: try HFLlamaWeights.random(c, tied: true, seed: 10).ggufWeights(c))
        let sink = FailingSink()
        #expect(throws: SinkFailure()) { try model.forward(batch: [[1, 2], [3]], sink: sink) }
        #expect(sink.calls == 3) // layer 0 for both sequences, then the throwing call
    }
}
