/// Which model produced the hidden states.
public struct ModelIdentity: Codable, Sendable, Equatable {
    /// Human name, e.g. "SmolLM2-135M-Instruct".
    public var name: String
    /// Architecture family, e.g. "llama".
    public var architecture: String
    /// Lower-case hex SHA-256 of the weights file, when known.
    public var fileSHA256: String?
    /// Number of transformer blocks.
    public var nBlocks: Int
    /// Model hidden size.
    public var hiddenSize: Int
    /// Weights file name or quantization (e.g. "SmolLM2-135M-Instruct.Q4_1.gguf"), when known.
    public var file: String?

    public init(name: String, architecture: String, fileSHA256: String? = nil, nBlocks: Int, hiddenSize: Int, file: String? = nil) {
        self.name = name
        self.architecture = architecture
        self.fileSHA256 = fileSHA256
        self.nBlocks = nBlocks
        self.hiddenSize = hiddenSize
        self.file = file
    }

    enum CodingKeys: String, CodingKey {
        case name, architecture, file
        case fileSHA256 = "file_sha256"
        case nBlocks = "n_blocks"
        case hiddenSize = "hidden_size"
    }
}
