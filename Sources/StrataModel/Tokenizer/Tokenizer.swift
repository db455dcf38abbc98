/// What every tokenizer implementation offers (`BPETokenizer`, `SentencePieceTokenizer`).
public protocol TokenizerModel: AnyObject, Sendable {
    /// Vocabulary size, special ids and the BOS/EOS flags.
    var specialTokens: SpecialTokens { get }
    /// `sha256:<hex>` over everything that decides the ids. Two tokenizers with equal identity encode alike.
    var identity: String { get }
    /// Token ids of `text`; with `addSpecialTokens`, BOS/EOS where `addBOS`/`addEOS` say so.
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int32]
    /// The text of `ids`, as the model's Hugging Face tokenizer decodes them (special tokens kept).
    func decode(_ ids: [Int32]) -> String
    /// The bytes token `id` stands for when decoded on its own (nil outside the vocabulary).
    func bytes(ofToken id: Int32) -> [UInt8]?
    /// The most bytes of text one token stands for, or nil when there is no such bound (a byte with no token
    /// of its own is dropped or becomes an unknown token covering any number of bytes).
    var longestTokenBytes: Int? { get }
}

extension TokenizerModel {
    /// Number of tokens (ids are `0..<vocabularySize`).
    public var vocabularySize: Int { specialTokens.vocabularySize }
    public var bosID: Int32? { specialTokens.bosID }
    public var eosID: Int32? { specialTokens.eosID }
    public var unknownID: Int32? { specialTokens.unknownID }
    public var paddingID: Int32? { specialTokens.paddingID }
    /// Whether `encode(_:addSpecialTokens: true)` prepends BOS / appends EOS.
    public var addBOS: Bool { specialTokens.addBOS }
    public var addEOS: Bool { specialTokens.addEOS }

    /// The fewest tokens `encode` can return for a text of `utf8Count` bytes, without encoding it: every
    /// byte of the text is covered by exactly one token and no token covers more than `longestTokenBytes`
    /// (0 when that bound does not exist). Lets a caller refuse a text that cannot fit a token budget
    /// before paying to encode it.
    public func minimumTokenCount(utf8Count: Int) -> Int {
        guard let longest = longestTokenBytes, longest > 0 else { return 0 }
        return (utf8Count + longest - 1) / longest
    }
}

/// The tokenizer a GGUF file describes, chosen by `tokenizer.ggml.model`: `gpt2` is byte-level BPE
/// (`BPETokenizer`: SmolLM2, Llama 3, Qwen2, GPT-2), `llama` is SentencePiece (`SentencePieceTokenizer`:
/// Llama 1/2, Mistral v0.1, Gemma). Any other model is refused, naming it and the supported ones.
public enum Tokenizer: Sendable {
    case bytePairEncoding(BPETokenizer)
    case sentencePiece(SentencePieceTokenizer)

    /// The `tokenizer.ggml.model` values with an implementation.
    public static let supportedModels = [BPETokenizer.model, SentencePieceTokenizer.model]

    /// The tokenizer of a GGUF file. Throws `TokenizerError` naming the key, the unsupported model or
    /// pre-tokenizer, or what is wrong with the vocabulary.
    public init(gguf: GGUFFile) throws {
        try self.init(vocabulary: TokenizerVocabulary(gguf: gguf))
    }

    public init(vocabulary: TokenizerVocabulary) throws {
        switch vocabulary.model {
        case BPETokenizer.model:
            self = .bytePairEncoding(try BPETokenizer(vocabulary: vocabulary))
        case SentencePieceTokenizer.model:
            self = .sentencePiece(try SentencePieceTokenizer(vocabulary: vocabulary))
        default:
            throw TokenizerError.unsupportedModel(vocabulary.model)
        }
    }

    /// The implementation behind this tokenizer.
    public var implementation: any TokenizerModel {
        switch self {
        case .bytePairEncoding(let tokenizer): return tokenizer
        case .sentencePiece(let tokenizer): return tokenizer
        }
    }

    /// "byte-level BPE" or "SentencePiece".
    public var kindName: String {
        switch self {
        case .bytePairEncoding: return "byte-level BPE"
        case .sentencePiece: return "SentencePiece"
        }
    }

    public var vocabularySize: Int { implementation.vocabularySize }
    public var bosID: Int32? { implementation.bosID }
    public var eosID: Int32? { implementation.eosID }
    public var unknownID: Int32? { implementation.unknownID }
    public var paddingID: Int32? { implementation.paddingID }
    public var addBOS: Bool { implementation.addBOS }
    public var addEOS: Bool { implementation.addEOS }
    public var identity: String { implementation.identity }
    public var longestTokenBytes: Int? { implementation.longestTokenBytes }

    public func minimumTokenCount(utf8Count: Int) -> Int {
        implementation.minimumTokenCount(utf8Count: utf8Count)
    }

    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        implementation.encode(text, addSpecialTokens: addSpecialTokens)
    }

    public func decode(_ ids: [Int32]) -> String {
        implementation.decode(ids)
    }

    public func bytes(ofToken id: Int32) -> [UInt8]? {
        implementation.bytes(ofToken: id)
    }
}
