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
        /// The elements of array `key` converted by `convert` (nil for a wrong element); [] when absent and
        /// not required.
        func array<Element>(
            _ key: String, required: Bool = false, of elementName: String, _ convert: (GGUFValue) -> Element?
        ) throws -> [Element] {
            guard let value = metadata[key] else {
                if required { throw TokenizerError.metadata(key: key, problem: "missing") }
                return []
            }
            guard let elements = value.array else {
                throw TokenizerError.metadata(key: key, problem: "is \(value.typeName), expected array of \(elementName)s")
            }
            var result: [Element] = []
            result.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard let converted = convert(element) else {
                    throw TokenizerError.metadata(
                        key: key, problem: "element \(index) is \(element.typeName), expected \(elementName)")
                }
                result.append(converted)
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
        let model = try string("tokenizer.ggml.model")
        let pre = metadata["tokenizer.ggml.pre"]?.string ?? "default"
        let defaults = Self.llamaCppDefaults(model: model, pre: pre)
        self.init(
            tokens: try array("tokenizer.ggml.tokens", required: true, of: "string") { $0.string },
            merges: try array("tokenizer.ggml.merges", of: "string") { $0.string },
            tokenTypes: try array("tokenizer.ggml.token_type", of: "32-bit integer") { $0.int.flatMap { Int32(exactly: $0) } },
            // float32 as llama.cpp's converter writes them; llama.cpp also reads int32 scores.
            scores: try array("tokenizer.ggml.scores", of: "number") { ($0.float ?? $0.int.map(Double.init)).map(Float.init) },
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
