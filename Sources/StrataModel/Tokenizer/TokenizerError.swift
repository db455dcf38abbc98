/// Why a tokenizer could not be built from a vocabulary or a GGUF file.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// `tokenizer.ggml.model` names a tokenizer this implementation does not have.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer family this implementation does not have.
    case unsupportedPreTokenizer(String)
    /// A merge line is not two space-separated tokens.
    case malformedMerge(index: Int, merge: String)
    /// A merge names a token (or produces a token) that is not in the vocabulary.
    case mergeTokenMissing(index: Int, merge: String, token: String)
    /// A special token id (BOS/EOS/…) is outside the vocabulary.
    case specialTokenOutOfRange(name: String, id: Int, vocabularySize: Int)
    /// The vocabulary is empty or larger than token ids can address.
    case badVocabularySize(Int)
    /// `tokenizer.ggml.token_type` has a different length than `tokenizer.ggml.tokens`.
    case tokenTypeCountMismatch(tokens: Int, tokenTypes: Int)
    /// `tokenizer.ggml.scores` is absent or has a different length than `tokenizer.ggml.tokens` (SentencePiece).
    case scoreCountMismatch(tokens: Int, scores: Int)
    /// A required GGUF metadata key is absent or has the wrong type.
    case metadata(key: String, problem: String)

    public var description: String {
        switch self {
        case .unsupportedModel(let name):
            return "unsupported tokenizer model '\(name)' (tokenizer.ggml.model); supported: "
                + "\(Tokenizer.supportedModels.joined(separator: ", "))"
        case .unsupportedPreTokenizer(let name):
            return "unsupported pre-tokenizer '\(name)' (tokenizer.ggml.pre); supported: "
                + "\(PreTokenizer.supportedNames.joined(separator: ", "))"
        case .malformedMerge(let index, let merge):
            return "merge #\(index) '\(merge)' is not two space-separated tokens"
        case .mergeTokenMissing(let index, let merge, let token):
            return "merge #\(index) '\(merge)' needs token '\(token)', which is not in the vocabulary"
        case .specialTokenOutOfRange(let name, let id, let size):
            return "\(name) token id \(id) is outside the vocabulary of \(size) tokens"
        case .badVocabularySize(let size):
            return "vocabulary size \(size) is not usable (must be 1...\(Int32.max))"
        case .tokenTypeCountMismatch(let tokens, let types):
            return "tokenizer.ggml.token_type has \(types) entries but tokenizer.ggml.tokens has \(tokens)"
        case .scoreCountMismatch(let tokens, let scores):
            return "tokenizer.ggml.scores has \(scores) entries but tokenizer.ggml.tokens has \(tokens) "
                + "(a SentencePiece vocabulary needs one score per token)"
        case .metadata(let key, let problem):
            return "GGUF metadata '\(key)': \(problem)"
        }
    }
}
