import Foundation
import StrataModel
import StrataUtilities

/// A tiny random Llama-family GGUF model with a byte-level BPE tokenizer in its metadata, so that
/// capture can be tried and tested without downloading weights. The weights are seeded random
/// f32 values (the hidden states mean nothing); the tokenizer has the 256 GPT-2 byte tokens, a few
/// dozen English merges and `<|endoftext|>`.
public struct SyntheticModel: Sendable {
    public var blocks = 2
    public var hidden = 32
    public var feedForward = 64
    public var heads = 4
    public var keyValueHeads = 2
    public var contextLength = 256
    public var seed: UInt64 = 1
    /// `tokenizer.chat_template` to store (a Jinja text as in real GGUF files); nil = none.
    public var chatTemplate: String?

    public init(
        blocks: Int = 2, hidden: Int = 32, feedForward: Int = 64, heads: Int = 4, keyValueHeads: Int = 2,
        contextLength: Int = 256, seed: UInt64 = 1
    ) {
        self.blocks = blocks
        self.hidden = hidden
        self.feedForward = feedForward
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.contextLength = contextLength
        self.seed = seed
    }

    /// Merges over frequent English pieces; each joins two tokens that exist by then.
    static let merges = [
        "Ġ t", "h e", "i n", "e r", "a n", "o n", "r e", "Ġ a", "Ġ s", "Ġ w", "e n", "o r", "Ġ o", "Ġ b", "Ġ f", "Ġ m",
        "Ġ c", "Ġ p", "i s", "a t", "i t", "e s", "o u", "a l", "l l", "e d", "Ġt he", "in g", "Ġ i", "Ġ d", "Ġ h",
        "a r", "l e", "s t", "Ġa n", "Ġan d", "Ġo f", "Ġt o", "Ġi s", "Ġi t"
    ]

    /// The tokenizer's tokens: bytes in the GPT-2 alphabet, then the merge results, then `<|endoftext|>`.
    static func tokens() -> [String] {
        var tokens: [String] = []
        var shifted: UInt32 = 0
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            let scalar = printable ? UInt32(byte) : 256 + shifted
            if !printable { shifted += 1 }
            tokens.append(String(Character(Unicode.Scalar(scalar)!)))
        }
        for merge in merges { tokens.append(merge.replacingOccurrences(of: " ", with: "")) }
        tokens.append("<|endoftext|>")
        return tokens
    }

    /// Writes the model to `path`.
    public func write(to path: String) throws {
        let tokens = Self.tokens()
        let vocabulary = tokens.count
        let headDimension = hidden / heads
        let queryWidth = heads * headDimension, kvWidth = keyValueHeads * headDimension
        var random = SplitMix64(state: seed)
        func uniform(_ count: Int, scale: Float, around center: Float = 0) -> [Float] {
            (0..<count).map { _ in center + scale * (random.nextUnitFloat() * 2 - 1) }
        }
        var writer = try GGUFWriter()
        try writer.set("general.architecture", .string("llama"))
        try writer.set("general.name", .string("strata-synthetic-\(blocks)x\(hidden)-seed\(seed)"))
        try writer.set("llama.block_count", .uint32(UInt32(blocks)))
        try writer.set("llama.context_length", .uint32(UInt32(contextLength)))
        try writer.set("llama.embedding_length", .uint32(UInt32(hidden)))
        try writer.set("llama.feed_forward_length", .uint32(UInt32(feedForward)))
        try writer.set("llama.attention.head_count", .uint32(UInt32(heads)))
        try writer.set("llama.attention.head_count_kv", .uint32(UInt32(keyValueHeads)))
        try writer.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        try writer.set("llama.rope.freq_base", .float32(10_000))
        try writer.set("tokenizer.ggml.model", .string("gpt2"))
        try writer.set("tokenizer.ggml.pre", .string("smollm"))
        try writer.set("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }))
        var types = [GGUFValue](repeating: .int32(1), count: vocabulary)
        types[vocabulary - 1] = .int32(3)
        try writer.set("tokenizer.ggml.token_type", .array(types))
        try writer.set("tokenizer.ggml.merges", .array(Self.merges.map { .string($0) }))
        try writer.set("tokenizer.ggml.bos_token_id", .uint32(UInt32(vocabulary - 1)))
        try writer.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(vocabulary - 1)))
        try writer.set("tokenizer.ggml.add_bos_token", .bool(false))
        if let chatTemplate { try writer.set("tokenizer.chat_template", .string(chatTemplate)) }

        let scale = 1 / Float(hidden).squareRoot()
        try writer.addTensor(name: "token_embd.weight", shape: [hidden, vocabulary], values: uniform(hidden * vocabulary, scale: 1))
        for b in 0..<blocks {
            let p = "blk.\(b)."
            try writer.addTensor(name: p + "attn_norm.weight", shape: [hidden], values: uniform(hidden, scale: 0.2, around: 1))
            try writer.addTensor(name: p + "attn_q.weight", shape: [hidden, queryWidth], values: uniform(hidden * queryWidth, scale: scale))
            try writer.addTensor(name: p + "attn_k.weight", shape: [hidden, kvWidth], values: uniform(hidden * kvWidth, scale: scale))
            try writer.addTensor(name: p + "attn_v.weight", shape: [hidden, kvWidth], values: uniform(hidden * kvWidth, scale: scale))
            try writer.addTensor(
                name: p + "attn_output.weight", shape: [queryWidth, hidden], values: uniform(queryWidth * hidden, scale: scale))
            try writer.addTensor(name: p + "ffn_norm.weight", shape: [hidden], values: uniform(hidden, scale: 0.2, around: 1))
            try writer.addTensor(
                name: p + "ffn_gate.weight", shape: [hidden, feedForward], values: uniform(hidden * feedForward, scale: scale))
            try writer.addTensor(
                name: p + "ffn_up.weight", shape: [hidden, feedForward], values: uniform(hidden * feedForward, scale: scale))
            try writer.addTensor(
                name: p + "ffn_down.weight", shape: [feedForward, hidden],
                values: uniform(feedForward * hidden, scale: 1 / Float(feedForward).squareRoot()))
        }
        try writer.addTensor(name: "output_norm.weight", shape: [hidden], values: uniform(hidden, scale: 0.2, around: 1))
        try writer.write(to: path)
    }
}
