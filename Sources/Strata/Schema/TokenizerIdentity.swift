/// Which tokenizer produced the token ids.
public struct TokenizerIdentity: Codable, Sendable, Equatable {
    /// Tokenizer model kind, e.g. "gpt2" (byte-level BPE).
    public var kind: String
    /// Pre-tokenizer name, e.g. "smollm".
    public var pre: String?
    public var vocabSize: Int
    /// Lower-case hex SHA-256 of the vocabulary and merges, when known.
    public var sha256: String?

    public init(kind: String, pre: String? = nil, vocabSize: Int, sha256: String? = nil) {
        self.kind = kind
        self.pre = pre
        self.vocabSize = vocabSize
        self.sha256 = sha256
    }

    enum CodingKeys: String, CodingKey {
        case kind, pre, sha256
        case vocabSize = "vocab_size"
    }
}
