/// An error reading, validating, dequantising or writing a GGUF file.
///
/// Every error names the file (when there is one), says what was wrong and where
/// (key, tensor, byte offset) so that a user can act on it.
public struct GGUFError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem this is, for callers that want to branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// The file could not be opened, stat'ed or mapped.
        case io
        /// The file does not start with the GGUF magic.
        case badMagic
        /// The GGUF version is not 2 or 3.
        case unsupportedVersion
        /// A count, size or offset points past the end of the file.
        case truncated
        /// A metadata value or tensor description is malformed.
        case malformed
        /// A tensor type exists in GGML but this reader cannot dequantise it.
        case unsupportedType
        /// A required metadata key is missing or has the wrong type.
        case missingKey
        /// The model architecture is not one Strata can run.
        case unsupportedArchitecture
        /// Writing a GGUF file failed.
        case write
    }

    /// What kind of problem this is.
    public let kind: Kind
    /// The file involved, as the caller named it; empty when there is no file (e.g. `dequantizeRow`).
    public let file: String
    /// Human-readable explanation: what, where and why.
    public let message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String {
        file.isEmpty ? "gguf: \(message)" : "gguf: \(file): \(message)"
    }
}
