/// How a shard's blocks were encoded; recorded in the metadata by the writer (informational:
/// each block header is authoritative for its own codec).
public struct CodecSettings: Codable, Sendable, Equatable {
    /// "zstd".
    public var name: String
    public var level: Int
    /// True when payloads are byte-shuffled by element width before compression.
    public var shuffle: Bool
    public var blockTargetBytes: Int
    /// nil when derived per record from the block target.
    public var layersPerBlock: Int?

    public init(name: String = "zstd", level: Int, shuffle: Bool = true, blockTargetBytes: Int, layersPerBlock: Int?) {
        self.name = name
        self.level = level
        self.shuffle = shuffle
        self.blockTargetBytes = blockTargetBytes
        self.layersPerBlock = layersPerBlock
    }

    enum CodingKeys: String, CodingKey {
        case name, level, shuffle
        case blockTargetBytes = "block_target_bytes"
        case layersPerBlock = "layers_per_block"
    }
}
