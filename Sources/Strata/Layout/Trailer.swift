/// The fixed 32-byte trailer that ends every sealed shard (spec/FORMAT.md §7).
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

    /// The trailer in `bytes`, or nil when they are not a *valid trailer* (spec/FORMAT.md §7: the
    /// `STRATEND` magic and a matching trailer CRC): then the shard is unsealed. A valid trailer whose
    /// fields are impossible (reserved field not 0, offset or record count out of range) is a broken
    /// seal and throws `.brokenSeal`.
    static func decode(_ bytes: [UInt8]) throws -> Trailer? {
        guard bytes.count == size, Array(bytes[0..<8]) == magic else { return nil }
        var r = ByteReader(bytes, what: "trailer", position: 8)
        let offset = try r.u64()
        let count = try r.u64()
        let reserved = try r.u32()
        guard try r.u32() == CRC32C.checksum(bytes[0..<28]) else { return nil }
        guard reserved == 0 else { throw StrataError(.brokenSeal, "trailer: reserved field is \(reserved), must be 0") }
        guard offset <= UInt64(Int.max), count <= UInt64(StrataLimits.maxRecordsPerShard) else {
            throw StrataError(.brokenSeal, "trailer: index offset \(offset) or record count \(count) is out of range")
        }
        return Trailer(indexOffset: Int(offset), recordCount: Int(count))
    }
}
