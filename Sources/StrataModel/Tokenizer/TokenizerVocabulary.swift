/// The tokenizer description a GGUF file carries under `tokenizer.ggml.*`, as plain Swift values.
///
/// `BPETokenizer` is built from this, so a tokenizer can be made from a GGUF file
/// (`BPETokenizer(gguf:)`) or from values assembled by hand in tests.
public struct TokenizerVocabulary: Sendable, Equatable {
    /// `tokenizer.ggml.tokens`: the token strings, index = token id. Byte-level BPE tokens are spelled in
    /// the GPT-2 byte alphabet (`Ġ` for a space byte, …).
    public var tokens: [String]
    /// `tokenizer.ggml.merges`: `"left right"` pairs, best (lowest rank) first.
    public var merges: [String]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    /// Empty when the file has none.
    public var tokenTypes: [Int32]
    public var bosID: Int?
    public var eosID: Int?
    public var unknownID: Int?
    public var paddingID: Int?
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token`: whether `encode(_:addSpecialTokens: true)` adds them.
    public var addBOS: Bool
    public var addEOS: Bool
    /// `tokenizer.ggml.model`: only `"gpt2"` (byte-level BPE) is supported.
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer family (`"smollm"`, `"llama-bpe"`, `"gpt2"`, `"qwen2"`, …).
    public var pre: String

    public init(
        tokens: [String], merges: [String], tokenTypes: [Int32] = [],
        bosID: Int? = nil, eosID: Int? = nil, unknownID: Int? = nil, paddingID: Int? = nil,
        addBOS: Bool = false, addEOS: Bool = false, model: String = "gpt2", pre: String = "gpt2"
    ) {
        self.tokens = tokens
        self.merges = merges
        self.tokenTypes = tokenTypes
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.model = model
        self.pre = pre
    }
}

/// llama.cpp's token type codes (`tokenizer.ggml.token_type`).
public enum TokenType: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}
