extension GGUFFile {
    /// Fails with an `.unsupportedArchitecture` error naming the file's architecture unless it is one of `supported`.
    ///
    /// Example message: `gguf: model.gguf: architecture 'gemma2' is not supported (supported: llama)`.
    @discardableResult
    public func requireArchitecture(_ supported: [String]) throws -> String {
        let list = supported.joined(separator: ", ")
        guard let architecture else {
            throw GGUFError(.missingKey, file: path, "metadata key 'general.architecture' is missing, so the architecture is unknown (supported: \(list))")
        }
        guard supported.contains(architecture) else {
            throw GGUFError(.unsupportedArchitecture, file: path, "architecture '\(architecture)' is not supported (supported: \(list))")
        }
        return architecture
    }

    /// The metadata value for `key` as an integer, or an error naming the key when missing or not an integer.
    public func requireInt(_ key: String) throws -> Int {
        guard let value = metadata[key] else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is missing")
        }
        guard let int = value.int else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is \(value.typeName), expected an integer")
        }
        return int
    }

    /// The metadata value for `key` as a number, or an error naming the key when missing or not numeric.
    public func requireFloat(_ key: String) throws -> Double {
        guard let value = metadata[key] else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is missing")
        }
        guard let float = value.float else {
            throw GGUFError(.missingKey, file: path, "metadata key '\(key)' is \(value.typeName), expected a number")
        }
        return float
    }

    /// The tensor called `name`, or an error naming it when the file has none.
    public func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensor(named: name) else {
            throw GGUFError(.missingKey, file: path, "tensor '\(name)' is missing")
        }
        return info
    }
}
