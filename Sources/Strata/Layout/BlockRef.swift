/// A record entry's pointer to one of its blocks (48 bytes in the record body).
struct BlockRef: Equatable, Sendable {
    static let size = 48
    /// Offset of the block header in the file.
    var offset: Int
    var layerStart: Int
    var layerCount: Int
    var tokenStart: Int
    var tokenCount: Int
    var storedSize: Int
    var rawSize: Int
    var payloadCRC: UInt32

    func encode(into w: inout ByteWriter) {
        w.u64(UInt64(offset))
        w.u32(UInt32(layerStart))
        w.u32(UInt32(layerCount))
        w.u32(UInt32(tokenStart))
        w.u32(UInt32(tokenCount))
        w.u64(UInt64(storedSize))
        w.u64(UInt64(rawSize))
        w.u32(payloadCRC)
        w.u32(0)
    }

    static func decode(from r: inout ByteReader) throws -> BlockRef {
        let offset = try r.count64("block offset")
        let ls = try r.count32("layer start", limit: StrataLimits.maxLayers)
        let lc = try r.count32("layer count", limit: StrataLimits.maxLayers)
        let ts = try r.count32("token start", limit: StrataLimits.maxTokens)
        let tc = try r.count32("token count", limit: StrataLimits.maxTokens)
        let stored = try r.count64("stored size", limit: ZstdCompressor.bound(StrataLimits.maxBlockRawBytes))
        let raw = try r.count64("raw size", limit: StrataLimits.maxBlockRawBytes)
        let crc = try r.u32()
        try r.reserved32("field at offset 44 of a block reference")
        return BlockRef(
            offset: offset, layerStart: ls, layerCount: lc, tokenStart: ts, tokenCount: tc,
            storedSize: stored, rawSize: raw, payloadCRC: crc)
    }
}
