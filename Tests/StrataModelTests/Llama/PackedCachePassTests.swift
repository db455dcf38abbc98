import Foundation
import Testing

@testable import StrataModel

/// `forward(sequences:)` with KV caches: several prefills, decode steps and whole texts in one packed pass
/// give each sequence what it gets alone (one `extend` per sequence, one `forward(batch:)` per text), within
/// the packing tolerance of spec/RUNTIME.md, and the same greedy tokens; on every architecture fixture, with
/// prompts and decoding past the gemma2/gemma3 sliding windows.
struct PackedCachePassTests {
    /// The fixture's longest reference text, cut into prompts of different lengths (some past the window).
    static func prompts(_ fixture: ArchitectureFixtureTests.Fixture) throws -> [[Int32]] {
        let longest = fixture.reference.texts.compactMap(\.token_ids).max { $0.count < $1.count } ?? []
        try #require(longest.count >= 40)
        return [Array(longest.prefix(37)), Array(longest[3..<9]), Array(longest.prefix(1)), Array(longest[10..<40])]
    }

    static func argmax(_ values: [Float]) -> Int32 {
        Int32(values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }!)
    }

    @Test(arguments: ArchitectureFixtureTests.names) func packedPrefillsAndDecodesEqualRunningAlone(_ name: String) throws {
        let fixture = try ArchitectureFixtureTests.Fixture(name)
        let model = try fixture.model("model-f32.gguf")
        let prompts = try Self.prompts(fixture)
        let text = Array(prompts[0].prefix(20))
        let steps = 14
        let all = HiddenStateRequest(layers: nil)

        // Alone: one prefill per prompt, then greedy decode steps one sequence at a time; the text alone.
        var aloneStates: [RecordingSink] = []
        var aloneTokens: [[Int32]] = []
        var aloneLogits: [[[Float]]] = []
        for prompt in prompts {
            let cache = try KVCache(model: model, capacity: prompt.count + steps)
            let sink = RecordingSink()
            var logits = try model.extend(prompt, cache: cache, request: all, sink: sink)
            var tokens: [Int32] = [], history = [logits]
            for _ in 0..<steps {
                let next = Self.argmax(logits)
                tokens.append(next)
                logits = try model.extend([next], cache: cache)
                history.append(logits)
            }
            aloneStates.append(sink)
            aloneTokens.append(tokens)
            aloneLogits.append(history)
        }
        let textAlone = RecordingSink()
        _ = try model.forward(batch: [text], request: all, sink: textAlone)

        // Packed: the text and every prefill in one pass (prompt 2 joins a turn later, while the others
        // decode), then the decode steps of all sequences packed together.
        let caches = try prompts.map { try KVCache(model: model, capacity: $0.count + steps) }
        let late = 2
        let first = RecordingSink()
        var sequences = [PackedSequence(tokens: text)]
        for (index, prompt) in prompts.enumerated() where index != late {
            sequences.append(PackedSequence(tokens: prompt, cache: caches[index]))
        }
        let firstResult = try model.forward(sequences: sequences, request: all, sink: first)
        #expect(firstResult.nextLogits[0] == nil)
        var logits = [[Float]](repeating: [], count: prompts.count)
        var packedStates = [Int: (sink: RecordingSink, sequence: Int)]()
        var slot = 1
        for index in prompts.indices where index != late {
            logits[index] = try #require(firstResult.nextLogits[slot])
            packedStates[index] = (first, slot)
            slot += 1
        }
        var packedTokens = [[Int32]](repeating: [], count: prompts.count)
        var packedLogits = [[[Float]]](repeating: [], count: prompts.count)
        for index in prompts.indices where index != late { packedLogits[index].append(logits[index]) }
        var turn = 0
        while packedTokens.contains(where: { $0.count < steps }) {
            var batch: [PackedSequence] = [], owners: [Int] = []
            if turn == 1 {
                batch.append(PackedSequence(tokens: prompts[late], cache: caches[late]))
                owners.append(late)
            }
            for index in prompts.indices where !logits[index].isEmpty && packedTokens[index].count < steps {
                let next = Self.argmax(logits[index])
                packedTokens[index].append(next)
                batch.append(PackedSequence(tokens: [next], cache: caches[index]))
                owners.append(index)
            }
            let sink = RecordingSink()
            let result = try model.forward(
                sequences: batch, request: turn == 1 ? all : HiddenStateRequest(layers: []),
                sink: sink)
            for (slot, index) in owners.enumerated() {
                logits[index] = try #require(result.nextLogits[slot])
                packedLogits[index].append(logits[index])
                if turn == 1 && index == late { packedStates[index] = (sink, slot) }
            }
            turn += 1
        }

        for (index, prompt) in prompts.enumerated() {
            #expect(packedTokens[index] == aloneTokens[index], "\(name) prompt \(index): greedy tokens packed vs alone")
            #expect(caches[index].count == prompt.count + steps)
            for (step, (packed, alone)) in zip(packedLogits[index], aloneLogits[index]).enumerated() {
                #expect(relativeError(packed, alone) <= packingTolerance, "\(name) prompt \(index) step \(step): logits")
            }
            let (sink, sequence) = try #require(packedStates[index])
            for layer in 0..<model.numHiddenStates {
                let packed = try #require(sink.states[layer]?[sequence])
                let alone = try #require(aloneStates[index].states[layer]?[0])
                #expect(packed.count == alone.count)
                #expect(relativeError(packed, alone) <= packingTolerance, "\(name) prompt \(index) layer \(layer)")
            }
        }
        for layer in 0..<model.numHiddenStates {
            let packed = try #require(first.states[layer]?[0]), alone = try #require(textAlone.states[layer]?[0])
            #expect(relativeError(packed, alone) <= packingTolerance, "\(name) text layer \(layer)")
        }
    }

    /// A refused batch (a cache given twice, a cache too small, a token out of range) changes no cache.
    @Test func refusedBatchLeavesCachesUnchanged() throws {
        let model = try ArchitectureFixtureTests.Fixture("llama3").model("model-f32.gguf")
        let cache = try KVCache(model: model, capacity: 8), other = try KVCache(model: model, capacity: 4)
        _ = try model.extend([1, 2], cache: cache)
        #expect(throws: LlamaError.self) {
            try model.forward(
                sequences: [PackedSequence(tokens: [3], cache: cache), PackedSequence(tokens: [4], cache: cache)],
                sink: nil)
        }
        #expect(throws: LlamaError.self) {
            try model.forward(
                sequences: [
                    PackedSequence(tokens: [3], cache: cache),
                    PackedSequence(tokens: [1, 2, 3, 4, 5], cache: other)
                ], sink: nil)
        }
        #expect(throws: LlamaError.self) {
            try model.forward(
                sequences: [
                    PackedSequence(tokens: [3], cache: cache),
                    PackedSequence(tokens: [Int32(model.config.vocabularySize)])
                ], sink: nil)
        }
        #expect(cache.count == 2 && other.count == 0)
    }
}
