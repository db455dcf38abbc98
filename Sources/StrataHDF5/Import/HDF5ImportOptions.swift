/// How the records are delimited inside a token-concatenated or padded array.
public enum HDF5RecordBoundaries: Sendable, Equatable {
    /// N+1 cumulative token offsets (`data[offsets[i] ..< offsets[i+1]]`), or N start offsets.
    case offsets(String)
    /// N token counts.
    case lengths(String)
    /// [N, T] attention mask (1 = real token); the ones of a record must be contiguous.
    case mask(String)
}

/// What the user told `import-hdf5` about the file; everything nil = detect.
public struct HDF5ImportOptions: Sendable {
    /// Path of the activation dataset (`--data`).
    public var dataName: String?
    public var boundaries: HDF5RecordBoundaries?
    public var labelsName: String?
    public var tokenIDsName: String?
    /// Datasets that detection must leave alone (`--ignore`): a conventionally named dataset that is
    /// not what its name suggests (labels per token, say) is otherwise an error, never dropped silently.
    /// Paths with or without the leading "/".
    public var ignoredDatasets: Set<String> = []
    /// Axis order of the activation dataset (`--layout`).
    public var layout: [HDF5Axis]?
    /// Treat a uint16 activation dataset as bf16 bit patterns (also implied by the attribute
    /// `strata_dtype = "bf16"`).
    public var uint16IsBF16: Bool = false
    /// Accept float64 activations by converting them to float32 (lossy; off by default).
    public var allowFloat64Downcast: Bool = false
    /// Store `[shuffle, zstd]` / `[zstd]` chunks that cover exactly a Strata block as that block,
    /// without decompressing and recompressing (spec/HDF5.md §5.1). Off = always decode + encode.
    public var copyChunks: Bool = true
    /// Store the values as q8 (lossy, spec/FORMAT.md §5.1) within this bound on each vector's relative
    /// L2 error, instead of in the file's own dtype; nil = the file's dtype, bit for bit.
    public var q8MaxRelError: Double?

    public init() {}

    /// Whether detection must leave the dataset at `path` alone.
    func isIgnored(_ path: String) -> Bool {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        return ignoredDatasets.contains { ($0.hasPrefix("/") ? $0 : "/" + $0) == absolute }
    }
}
