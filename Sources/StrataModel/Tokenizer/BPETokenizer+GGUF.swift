extension TokenizerVocabulary {
    /// Reads the `tokenizer.ggml.*` metadata of a GGUF file.
    public init(gguf: GGUFFile) throws {
        let metadata = gguf.metadata
        func string(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw TokenizerError.metadata(key: key, problem: "missing") }
            guard let text = value.string else {
                throw TokenizerError.metadata(key: key, problem: "is \(value.typeName), expected string")
            }
            return text
        }
        func strings(_ key: String, required: Bool) throws -> [String] {
            guard let value = metadata[key] else {
                if required { throw TokenizerError.metadata(key: key, problem: "missing") }
                return []
            }
            guard let elements = value.array else {
                throw TokenizerError.metadata(key: key, problem: "is \(value.typeName), expected array of strings")
            }
            var result: [String] = []
            result.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard let text = element.string else {
                    throw TokenizerError.metadata(
                        key: key, problem: "element \(index) is \(element.typeName), expected string")
                }
                result.append(text)
            }
            return result
        }
        func optionalInt(_ key: String) throws -> Int? {
            guard let value = metadata[key] else { return nil }
            guard let number = value.int else {
                throw TokenizerError.metadata(key: key, problem: "is \(value.typeName), expected integer")
            }
            return number
        }
        func flag(_ key: String) throws -> Bool {
            guard let value = metadata[key] else { return false }
            guard let flag = value.bool else {
                throw TokenizerError.metadata(key: key, problem: "is \(value.typeName), expected bool")
            }
            return flag
        }
        var tokenTypes: [Int32] = []
        if let value = metadata["tokenizer.ggml.token_type"] {
            guard let elements = value.array else {
                throw TokenizerError.metadata(
                    key: "tokenizer.ggml.token_type", problem: "is \(value.typeName), expected array of integers")
            }
            tokenTypes.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard let type = element.int, let narrow = Int32(exactly: type) else {
                    throw TokenizerError.metadata(
                        key: "tokenizer.ggml.token_type", problem: "element \(index) is not a 32-bit integer")
                }
                tokenTypes.append(narrow)
            }
        }
        self.init(
            tokens: try strings("tokenizer.ggml.tokens", required: true),
            merges: try strings("tokenizer.ggml.merges", required: false),
            tokenTypes: tokenTypes,
            bosID: try optionalInt("tokenizer.ggml.bos_token_id"),
            eosID: try optionalInt("tokenizer.ggml.eos_token_id"),
            unknownID: try optionalInt("tokenizer.ggml.unknown_token_id"),
            paddingID: try optionalInt("tokenizer.ggml.padding_token_id"),
            addBOS: try flag("tokenizer.ggml.add_bos_token"),
            addEOS: try flag("tokenizer.ggml.add_eos_token"),
            model: try string("tokenizer.ggml.model"),
            pre: metadata["tokenizer.ggml.pre"]?.string ?? "default")
    }
}

extension BPETokenizer {
    /// The tokenizer a GGUF file describes (`tokenizer.ggml.*`). Throws `TokenizerError` naming the
    /// key or the unsupported model / pre-tokenizer.
    public convenience init(gguf: GGUFFile, reference: PreTokenizer.Reference = .transformersGGUF) throws {
        try self.init(vocabulary: TokenizerVocabulary(gguf: gguf), reference: reference)
    }
}
