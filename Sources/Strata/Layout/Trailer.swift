/// The fixed 32-byte trailer that ends every sealed shard (spec/FORMAT.md §Trailer).
struct Trailer: Equatable {
    static let size = 32
    static let magic: [UInt8] = Array("STRATEND".utf8)

    var indexOffset: Int
    var recordCount: Int

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Trailer.size)
        w.raw(Trailer.magic)
        w.u64(UInt64(indexOffset))
        w.u64(UInt64(recordCount))
        w.u32(0)
        w.crcOfAll()
        return w.bytes
    }

    /// nil when the bytes are not a valid trailer (missing magic or bad CRC): the shard is unsealed.
    static func decode(_ bytes: [UInt8]) -> Trailer? {
        guard bytes.count == size, Array(bytes[0..<8]) == magic else { return nil }
        var r = ByteReader(bytes, what: "trailer", position: 8)
        guard let offset = try? r.u64(), let count = try? r.u64(), let _ = try? r.u32(), let crc = try? r.u32(),
              crc == CRC32C.checksum(bytes[0..<28]),
              offset <= UInt64(Int.max), count <= UInt64(StrataLimits.maxRecordsPerShard) else { return nil }
        return Trailer(indexOffset: Int(offset), recordCount: Int(count))
    }
}
