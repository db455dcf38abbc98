/// The tokenizer description a GGUF file carries under `tokenizer.ggml.*`, as plain Swift values.
///
/// `Tokenizer` (and `BPETokenizer`, `SentencePieceTokenizer`) are built from this, so a tokenizer can be made
/// from a GGUF file (`Tokenizer(gguf:)`) or from values assembled by hand in tests.
public struct TokenizerVocabulary: Sendable, Equatable {
    /// `tokenizer.ggml.tokens`: the token strings, index = token id. Byte-level BPE tokens are spelled in
    /// the GPT-2 byte alphabet (`Ġ` for a space byte, …); SentencePiece tokens use `▁` for a space and
    /// `<0xNN>` for byte-fallback tokens.
    public var tokens: [String]
    /// `tokenizer.ggml.merges`: `"left right"` pairs, best (lowest rank) first (byte-level BPE).
    public var merges: [String]
    /// `tokenizer.ggml.scores`: one per token, higher merges first (SentencePiece). Empty when absent.
    public var scores: [Float]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    /// Empty when the file has none.
    public var tokenTypes: [Int32]
    public var bosID: Int?
    public var eosID: Int?
    public var unknownID: Int?
    public var paddingID: Int?
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token`: whether `encode(_:addSpecialTokens: true)` adds them
    /// (read from a GGUF file with llama.cpp's defaults where absent).
    public var addBOS: Bool
    public var addEOS: Bool
    /// `tokenizer.ggml.add_space_prefix`: whether SentencePiece text gets a `▁` in front (Llama yes, Gemma no).
    public var addSpacePrefix: Bool
    /// `tokenizer.ggml.model`: `"gpt2"` (byte-level BPE) or `"llama"` (SentencePiece); see `Tokenizer`.
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer family (`"smollm"`, `"llama-bpe"`, `"gpt2"`, `"qwen2"`, …).
    public var pre: String

    public init(
        tokens: [String], merges: [String] = [], tokenTypes: [Int32] = [], scores: [Float] = [],
        bosID: Int? = nil, eosID: Int? = nil, unknownID: Int? = nil, paddingID: Int? = nil,
        addBOS: Bool = false, addEOS: Bool = false, addSpacePrefix: Bool = false,
        model: String = "gpt2", pre: String = "gpt2"
    ) {
        self.tokens = tokens
        self.merges = merges
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.model = model
        self.pre = pre
    }
}

extension TokenizerVocabulary {
    /// Throws unless there are 1...Int32.max tokens and, where given, one token type per token.
    func checkShape() throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw TokenizerError.badVocabularySize(tokens.count)
        }
        if !tokenTypes.isEmpty && tokenTypes.count != tokens.count {
            throw TokenizerError.tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: tokenTypes.count)
        }
    }

    /// The type of token `index` (`.normal` when the vocabulary has no types).
    func type(of index: Int) -> TokenType {
        tokenTypes.isEmpty ? .normal : TokenType(rawValue: tokenTypes[index]) ?? .undefined
    }
}

/// llama.cpp's token type codes (`tokenizer.ggml.token_type`).
public enum TokenType: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}
