/// Compression of the exported activation array.
public enum HDF5Compression: Sendable, Equatable {
    /// Registered zstd filter 32015 after shuffle (`cd_values[0]` = level); what hdf5plugin reads.
    case zstd(level: Int)
    /// gzip (deflate) after shuffle: readable by every HDF5 install.
    case gzip(level: Int)
    case none
}

/// How records are arranged in the exported file (spec/HDF5.md).
public enum HDF5ExportLayout: String, Sendable, Equatable, CaseIterable {
    /// One token-concatenated array [layers, tokens, hidden] + offsets (the default).
    case layerMajor = "layer-major"
    /// One token-concatenated array [tokens, layers, hidden] + offsets.
    case tokenMajor = "token-major"
    /// One group per record holding [layers, tokens, hidden] chunked like the Strata blocks, so
    /// zstd blocks are copied into HDF5 chunks without recompression.
    case groups
}

public struct HDF5ExportOptions: Sendable {
    public var compression: HDF5Compression = .zstd(level: 3)
    public var layout: HDF5ExportLayout = .layerMajor
    /// Target uncompressed bytes per HDF5 chunk of a concatenated array.
    public var chunkTargetBytes: Int = 256 * 1024

    public init(compression: HDF5Compression = .zstd(level: 3), layout: HDF5ExportLayout = .layerMajor) {
        self.compression = compression
        self.layout = layout
    }

    var filters: [HDF5Filter] {
        switch compression {
        case .zstd(let level): return [.shuffle, .zstd(level: level)]
        case .gzip(let level): return [.shuffle, .deflate(level: level)]
        case .none: return []
        }
    }
}

/// What an export did.
public struct HDF5ExportReport: Sendable, Equatable {
    public var records = 0
    public var tokens = 0
    /// Strata blocks written into HDF5 chunks as stored (no decompression).
    public var chunksCopied = 0
    /// Strata blocks decoded and written through HDF5's filter pipeline.
    public var blocksRecompressed = 0
    public var bytesWritten = 0
    /// Partial files of killed exports to the same OUT (`OUT.partial-PID` of dead pids), removed first.
    public var removedStalePartials: [String] = []
}
