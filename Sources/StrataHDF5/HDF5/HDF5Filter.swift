import CHDF5

/// A filter in a chunked dataset's pipeline, as Strata writes it.
public enum HDF5Filter: Sendable, Equatable {
    /// Byte shuffle (HDF5 filter 2), by element width.
    case shuffle
    /// gzip / deflate (HDF5 filter 1) at level 0–9: readable by every HDF5 install.
    case deflate(level: Int)
    /// zstd as the registered filter 32015, `cd_values[0]` = level (what hdf5plugin reads).
    case zstd(level: Int)
    /// Fletcher-32 checksum per chunk (HDF5 filter 3).
    case fletcher32

    /// The registered HDF5 filter id.
    public var id: Int32 {
        switch self {
        case .shuffle: return 2
        case .deflate: return 1
        case .zstd: return ZstdFilter.id
        case .fletcher32: return 3
        }
    }

    func apply(to dcpl: hid_t) -> herr_t {
        switch self {
        case .shuffle: return H5Pset_shuffle(dcpl)
        case .deflate(let level): return H5Pset_deflate(dcpl, UInt32(max(0, min(9, level))))
        case .fletcher32: return H5Pset_fletcher32(dcpl)
        case .zstd(let level):
            let values: [UInt32] = [UInt32(bitPattern: Int32(clamping: level))]
            return H5Pset_filter(dcpl, ZstdFilter.id, 0, 1, values)
        }
    }
}

/// A filter found in an existing dataset's pipeline.
public struct HDF5FilterInfo: Sendable, Equatable {
    public var id: Int32
    /// The name HDF5 stores with the filter (may be empty).
    public var name: String
    public var clientValues: [UInt32]
    /// Whether this HDF5 library can run the filter (it is built in or registered).
    public var isAvailable: Bool
}
