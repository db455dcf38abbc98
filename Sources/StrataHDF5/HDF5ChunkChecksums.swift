import Strata

/// The CRC32C of each chunk `strata export-hdf5 --layout groups` copied from a Strata block, kept on
/// the `hidden` dataset as the int64 attribute `strata_chunk_crc32c` = (layer start, token start,
/// CRC32C of the stored chunk bytes) per copied chunk (spec/HDF5.md §4). HDF5 chunks carry no
/// checksum of their own; with these, import checks a copied chunk against the checksum Strata had
/// verified instead of decoding it, and catches any changed byte — also one that still decodes.
struct HDF5ChunkChecksums {
    static let attributeName = "strata_chunk_crc32c"

    /// CRC32C by chunk origin (layer start, token start).
    private var byOrigin: [Origin: UInt32] = [:]

    struct Origin: Hashable {
        var layer: Int
        var token: Int
    }

    /// The checksums on `dataset`, or nil when it has none (not a Strata export) or they are malformed
    /// (then import falls back to decoding every chunk, as for any other file).
    init?(dataset: HDF5Dataset) throws {
        guard dataset.hasAttribute(Self.attributeName), let values = try dataset.integerAttribute(Self.attributeName),
            !values.isEmpty, values.count % 3 == 0
        else { return nil }
        for i in stride(from: 0, to: values.count, by: 3) {
            guard values[i] >= 0, values[i + 1] >= 0, values[i + 2] >= 0, values[i + 2] <= Int64(UInt32.max) else { return nil }
            byOrigin[Origin(layer: Int(values[i]), token: Int(values[i + 1]))] = UInt32(values[i + 2])
        }
    }

    /// The recorded CRC32C of the chunk at `origin` (`[layer, token, 0]` of a `[L, T, H]` dataset).
    func checksum(origin: [Int]) -> UInt32? {
        guard origin.count == 3, origin[2] == 0 else { return nil }
        return byOrigin[Origin(layer: origin[0], token: origin[1])]
    }
}
