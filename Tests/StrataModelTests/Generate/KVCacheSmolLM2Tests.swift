import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// KV-cache decoding on the real SmolLM2-135M-Instruct (skipped when the model is not cached): every
/// decode step's next-token distribution equals a full re-forward of the whole sequence.
struct KVCacheSmolLM2Tests {
    @Test(.needsRealModel) func decodeEqualsFullReforward() throws {
        let model = try #require(try LlamaGoldenTests.loadModel())
        // "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n" in SmolLM2 ids.
        let path = try #require(ModelCache.existingPath(for: "smollm2"))
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
        var sequence = tokenizer.encode(ChatTemplate().prompt(user: "What is the capital of France?"))
        let cache = try KVCache(model: model, capacity: sequence.count + 4)
        var logits = try model.extend(sequence, cache: cache)
        for step in 0..<4 {
            let reference = try model.forward(batch: [sequence], request: .logProbsOnly, sink: nil).lastLogProbs[0]
            var ours = logits
            ours.withUnsafeMutableBufferPointer { logSoftmax($0.baseAddress!, count: $0.count) }
            let scale = reference.map { abs($0) }.max() ?? 1
            let worst = zip(ours, reference).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1e-4 * scale, "step \(step): worst log-prob difference \(worst) (scale \(scale))")
            let next = TokenSampler.argmax(logits)
            #expect(next == TokenSampler.argmax(reference))
            sequence.append(next)
            if step < 3 { logits = try model.extend([next], cache: cache) }
        }
        // Greedy SmolLM2-Instruct answers this one with "The capital of France is Paris."
        #expect(tokenizer.decode(Array(sequence.suffix(4))).contains("The capital of"))
    }
}
