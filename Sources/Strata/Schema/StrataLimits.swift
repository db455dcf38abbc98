import StrataUtilities

/// Upper bounds a reader enforces on sizes and counts read from a file before allocating anything
/// (spec/FORMAT.md §10). Writers refuse input beyond them too, so every valid shard is readable.
/// Each quantity has exactly one limit, stated here; importers (HDF5) check the same limits before
/// they allocate a record.
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
    /// Largest record: its values in the stored dtype, layers × tokens × hidden × width (4 GiB).
    /// Each factor has its own limit above, but their product is what a reader allocates to hold
    /// a record (twice this as f32 for a 16-bit dtype), so it is bounded on its own.
    public static let maxRecordValueBytes = 1 << 32
    /// Largest `manifest.json` of a dataset directory (the metadata plus one entry per shard).
    public static let maxManifestBytes = 256 << 20

    /// Bytes of a record's values (layers × tokens × hidden × width), or nil when that product
    /// exceeds `maxRecordValueBytes` (or overflows, or a factor is negative).
    public static func recordValueBytes(layers: Int, tokens: Int, hidden: Int, width: Int) -> Int? {
        let factors = [layers, tokens, hidden, width]
        guard factors.allSatisfy({ $0 >= 0 }) else { return nil }
        if factors.contains(0) { return 0 }
        var bytes = 1
        for factor in factors {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: factor)
            guard !overflow, product <= maxRecordValueBytes else { return nil }
            bytes = product
        }
        return bytes
    }

    /// Why a record of this shape is over `maxRecordValueBytes`, or nil when it is within it.
    public static func recordValueProblem(layers: Int, tokens: Int, hidden: Int, width: Int) -> String? {
        guard recordValueBytes(layers: layers, tokens: tokens, hidden: hidden, width: width) == nil else { return nil }
        let product = [layers, tokens, hidden, width].reduce(1.0) { $0 * Double($1) }
        let size = product < 9e18 ? ByteSize.format(Int(product)) : "more than 8 EiB"
        return "\(layers) layers × \(tokens) tokens × \(hidden) hidden × \(width) bytes = \(size) of values, "
            + "over the limit of \(ByteSize.format(maxRecordValueBytes)) per record"
    }
}
