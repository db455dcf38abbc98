extension GGUFFile {
    /// Fails with an `.unsupportedArchitecture` error naming the file's architecture unless it is one of `supported`.
    ///
    /// Example message: `gguf: model.gguf: architecture 'gemma2' is not supported (supported: llama)`.
    @discardableResult
    public func requireArchitecture(_ supported: [String]) throws -> String {
        let list = supported.joined(separator: ", ")
        guard let architecture else {
            throw GGUFError(
                .missingKey, file: path,
                "metadata key 'general.architecture' is missing, so the architecture is unknown (supported: \(list))")
        }
        guard supported.contains(architecture) else {
            throw GGUFError(.unsupportedArchitecture, file: path, "architecture '\(architecture)' is not supported (supported: \(list))")
        }
        return architecture
    }

    /// The metadata value for `key` as an integer, or an error naming the key when missing or not an integer.
    public func requireInt(_ key: String) throws -> Int { try require(key, as: "an integer") { $0.int } }

    /// The metadata value for `key` as a number, or an error naming the key when missing or not numeric.
    public func requireFloat(_ key: String) throws -> Double { try require(key, as: "a number") { $0.float } }

    /// The metadata value for `key` as a string, or an error naming the key when missing or not a string.
    public func requireString(_ key: String) throws -> String { try require(key, as: "a string") { $0.string } }

    /// The metadata value for `key` converted by `convert`; an error naming the key and `expected`
    /// when it is missing or `convert` gives nil.
    private func require<T>(_ key: String, as expected: String, _ convert: (GGUFValue) -> T?) throws -> T {
        guard let value = metadata[key] else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is missing")
        }
        guard let converted = convert(value) else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is \(value.typeName), expected \(expected)")
        }
        return converted
    }

    /// The metadata array at `key` as strings (e.g. `tokenizer.ggml.tokens`), or an error naming the key
    /// when it is missing, not an array, or holds a non-string element.
    public func requireStringArray(_ key: String) throws -> [String] {
        try requireArray(key, of: "string") { $0.string }
    }

    /// The metadata array at `key` as integers (e.g. `tokenizer.ggml.token_type`), with errors as above.
    public func requireIntArray(_ key: String) throws -> [Int] {
        try requireArray(key, of: "integer") { $0.int }
    }

    private func requireArray<T>(_ key: String, of kind: String, _ convert: (GGUFValue) -> T?) throws -> [T] {
        guard let value = metadata[key] else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is missing")
        }
        guard let elements = value.array else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is \(value.typeName), expected an array of \(kind)s")
        }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let converted = convert(element) else {
                throw GGUFError(.malformed, file: path, "metadata key '\(key)' element \(index) is \(element.typeName), expected a \(kind)")
            }
            result.append(converted)
        }
        return result
    }

    /// The tensor called `name`, or an error naming it when the file has none.
    public func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensor(named: name) else {
            throw GGUFError(.missingKey, file: path, "tensor '\(name)' is missing")
        }
        return info
    }
}
