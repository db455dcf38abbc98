/// The index written when a shard is sealed (spec/FORMAT.md §Index): a 32-byte header and one 32-byte
/// row per record pointing at its record entry.
struct ShardIndex: Equatable {
    static let headerSize = 32
    static let rowSize = 32

    struct Row: Equatable {
        /// Offset of the record entry header.
        var entryOffset: Int
        /// Record entry header + body length.
        var entryLength: Int
        var storedBytes: Int
        var nTokens: Int
        var blockCount: Int
    }

    var rows: [Row]

    func encode() -> [UInt8] {
        var body = ByteWriter(capacity: rows.count * ShardIndex.rowSize)
        for row in rows {
            body.u64(UInt64(row.entryOffset))
            body.u64(UInt64(row.entryLength))
            body.u64(UInt64(row.storedBytes))
            body.u32(UInt32(row.nTokens))
            body.u32(UInt32(row.blockCount))
        }
        var w = ByteWriter(capacity: ShardIndex.headerSize + body.count)
        w.u32(EntryMagic.index)
        w.u32(UInt32(ShardIndex.headerSize))
        w.u64(UInt64(rows.count))
        w.u64(UInt64(body.count))
        w.u32(CRC32C.checksum(body.bytes))
        w.crcOfAll()
        w.raw(body.bytes)
        return w.bytes
    }

    /// Parses the index header; returns (record count, body length, body CRC).
    static func decodeHeader(_ bytes: [UInt8]) throws -> (count: Int, bodyLength: Int, bodyCRC: UInt32) {
        var r = ByteReader(bytes, what: "index header")
        guard try r.u32() == EntryMagic.index else { throw StrataError(.corrupt, "expected the index (SIDX) here") }
        let hl = try r.u32()
        guard hl == UInt32(headerSize) else { throw StrataError(.corrupt, "index header length \(hl) is not \(headerSize)") }
        let count = try r.count64("record count", limit: StrataLimits.maxRecordsPerShard)
        let bodyLength = try r.count64("body length")
        let bodyCRC = try r.u32()
        let crc = try r.u32()
        guard crc == CRC32C.checksum(bytes[0..<(headerSize - 4)]) else { throw StrataError(.corrupt, "index header checksum mismatch") }
        guard bodyLength == count * rowSize else {
            throw StrataError(.corrupt, "index body length \(bodyLength) is not \(count) × \(rowSize)")
        }
        return (count, bodyLength, bodyCRC)
    }

    static func decodeBody(_ body: [UInt8], count: Int, crc: UInt32) throws -> ShardIndex {
        guard CRC32C.checksum(body) == crc else { throw StrataError(.corrupt, "index body checksum mismatch") }
        var r = ByteReader(body, what: "index")
        var rows = [Row]()
        rows.reserveCapacity(count)
        for _ in 0..<count {
            rows.append(
                Row(
                    entryOffset: try r.count64("entry offset"),
                    entryLength: try r.count64("entry length", limit: StrataLimits.maxRecordEntryBytes + RecordEntry.headerSize),
                    storedBytes: try r.count64("stored bytes"), nTokens: try r.count32("token count", limit: StrataLimits.maxTokens),
                    blockCount: try r.count32("block count", limit: StrataLimits.maxBlocksPerRecord)))
        }
        return ShardIndex(rows: rows)
    }
}
