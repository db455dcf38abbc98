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
        func flag(_ key: String) throws -> Bool? {
            guard let value = metadata[key] else { return nil }
            guard let flag = value.bool else {
                throw TokenizerError.metadata(key: key, problem: "is \(value.typeName), expected bool")
            }
            return flag
        }
        var scores: [Float] = []
        if let value = metadata["tokenizer.ggml.scores"] {
            guard let elements = value.array else {
                throw TokenizerError.metadata(
                    key: "tokenizer.ggml.scores", problem: "is \(value.typeName), expected array of numbers")
            }
            scores.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                // float32 as llama.cpp's converter writes them; llama.cpp also reads int32 scores.
                guard let score = element.float ?? element.int.map(Double.init) else {
                    throw TokenizerError.metadata(
                        key: "tokenizer.ggml.scores", problem: "element \(index) is \(element.typeName), expected a number")
                }
                scores.append(Float(score))
            }
        }
        let model = try string("tokenizer.ggml.model")
        let pre = metadata["tokenizer.ggml.pre"]?.string ?? "default"
        let defaults = Self.llamaCppDefaults(model: model, pre: pre)
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
            scores: scores,
            bosID: try optionalInt("tokenizer.ggml.bos_token_id"),
            eosID: try optionalInt("tokenizer.ggml.eos_token_id"),
            unknownID: try optionalInt("tokenizer.ggml.unknown_token_id"),
            paddingID: try optionalInt("tokenizer.ggml.padding_token_id"),
            addBOS: try flag("tokenizer.ggml.add_bos_token") ?? defaults.addBOS,
            addEOS: try flag("tokenizer.ggml.add_eos_token") ?? false,
            addSpacePrefix: try flag("tokenizer.ggml.add_space_prefix") ?? defaults.addSpacePrefix,
            model: model,
            pre: pre)
    }

    /// What llama.cpp assumes when a file lacks `add_bos_token` / `add_space_prefix`: a SentencePiece
    /// vocabulary adds BOS and a dummy-prefix space (as Hugging Face's LlamaTokenizer does by default); a
    /// byte-level one adds neither, except for the pre-tokenizers whose models add BOS (Llama 3).
    static func llamaCppDefaults(model: String, pre: String) -> (addBOS: Bool, addSpacePrefix: Bool) {
        if model == SentencePieceTokenizer.model { return (true, true) }
        return (PreTokenizer.reading(forGGUFName: pre)?.addsBOSByDefault ?? false, false)
    }
}
