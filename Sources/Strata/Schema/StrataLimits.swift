/// Upper bounds a reader enforces on sizes and counts read from a file before allocating anything.
/// Writers refuse input beyond them too, so every valid shard is readable.
public enum StrataLimits {
    public static let maxHidden = 1 << 20
    public static let maxLayers = 4096
    public static let maxTokens = 1 << 24
    public static let maxLabels = 1 << 16
    public static let maxAuxiliaryLength = 1 << 26
    /// Largest metadata JSON.
    public static let maxMetadataBytes = 64 << 20
    /// Largest record entry body (ids, token ids, text, metadata, auxiliaries, block list).
    public static let maxRecordEntryBytes = 1 << 30
    /// Largest uncompressed block payload.
    public static let maxBlockRawBytes = 1 << 30
    /// Largest number of blocks one record may have.
    public static let maxBlocksPerRecord = 1 << 22
    /// Largest number of records in one shard.
    public static let maxRecordsPerShard = 1 << 32
}
