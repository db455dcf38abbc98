/// The 72-byte header in front of every block payload (spec/FORMAT.md §Block).
struct BlockHeader: Equatable {
    static let size = 72
    /// Payload codec codes.
    static let codecNone: UInt8 = 0
    static let codecZstd: UInt8 = 1

    var recordOrdinal: Int
    var idHash: UInt64
    var layerStart: Int
    var layerCount: Int
    var tokenStart: Int
    var tokenCount: Int
    var hidden: Int
    var dtype: StrataDType
    var codec: UInt8
    var shuffled: Bool
    var rawSize: Int
    var storedSize: Int
    var payloadCRC: UInt32

    var elementCount: Int { layerCount * tokenCount * hidden }
    /// The q8 section layout this header's raw size implies (nil for other dtypes).
    var q8Layout: Q8Layout? { dtype == .q8 ? Q8Layout(rawSize: rawSize, vectors: layerCount * tokenCount, hidden: hidden) : nil }

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: BlockHeader.size)
        w.u32(EntryMagic.block)
        w.u32(UInt32(BlockHeader.size))
        w.u64(UInt64(recordOrdinal))
        w.u64(idHash)
        w.u32(UInt32(layerStart))
        w.u32(UInt32(layerCount))
        w.u32(UInt32(tokenStart))
        w.u32(UInt32(tokenCount))
        w.u32(UInt32(hidden))
        w.u8(dtype.code)
        w.u8(codec)
        w.u8(shuffled ? 1 : 0)
        w.u8(0)
        w.u64(UInt64(rawSize))
        w.u64(UInt64(storedSize))
        w.u32(payloadCRC)
        w.crcOfAll()
        return w.bytes
    }

    /// Parses a header and checks its CRC and internal consistency (raw size = elements × width,
    /// stored size bounded). Layer/token bounds against the shard and record are checked by the caller.
    static func decode(_ bytes: [UInt8]) throws -> BlockHeader {
        var r = ByteReader(bytes, what: "block header")
        guard try r.u32() == EntryMagic.block else { throw StrataError(.corrupt, "expected a block (SBLK) here") }
        let headerLength = try r.u32()
        guard headerLength == UInt32(size) else { throw StrataError(.corrupt, "block header length \(headerLength) is not \(size)") }
        guard bytes.count >= size,
            CRC32C.checksum(bytes[0..<(size - 4)]) == UInt32(bytes[68]) | UInt32(bytes[69]) << 8 | UInt32(bytes[70]) << 16 | UInt32(
                bytes[71]) << 24
        else {
            throw StrataError(.corrupt, "block header checksum mismatch")
        }
        let ordinal = try r.count64("record ordinal", limit: StrataLimits.maxRecordsPerShard)
        let idHash = try r.u64()
        let layerStart = try r.count32("layer start", limit: StrataLimits.maxLayers)
        let layerCount = try r.count32("layer count", limit: StrataLimits.maxLayers)
        let tokenStart = try r.count32("token start", limit: StrataLimits.maxTokens)
        let tokenCount = try r.count32("token count", limit: StrataLimits.maxTokens)
        let hidden = try r.count32("hidden", limit: StrataLimits.maxHidden)
        guard let dtype = StrataDType(code: try r.u8()) else { throw StrataError(.corrupt, "unknown dtype code in block header") }
        let codec = try r.u8()
        guard codec == codecNone || codec == codecZstd else { throw StrataError(.corrupt, "unknown codec code \(codec) in block header") }
        let shuffle = try r.u8()
        guard shuffle <= 1 else { throw StrataError(.corrupt, "invalid shuffle flag \(shuffle) in block header") }
        try r.reserved8("byte 47")
        let rawSize = try r.count64("raw size", limit: StrataLimits.maxBlockRawBytes)
        let storedSize = try r.count64("stored size", limit: ZstdCompressor.bound(StrataLimits.maxBlockRawBytes))
        let payloadCRC = try r.u32()
        let h = BlockHeader(
            recordOrdinal: ordinal, idHash: idHash, layerStart: layerStart, layerCount: layerCount,
            tokenStart: tokenStart, tokenCount: tokenCount, hidden: hidden, dtype: dtype, codec: codec,
            shuffled: shuffle == 1, rawSize: rawSize, storedSize: storedSize, payloadCRC: payloadCRC)
        guard layerCount > 0, tokenCount > 0, hidden > 0 else {
            throw StrataError(.corrupt, "block header has an empty layer, token or hidden range")
        }
        let vectors = layerCount.multipliedReportingOverflow(by: tokenCount)
        guard !vectors.overflow else { throw StrataError(.corrupt, "block layer × token count overflows") }
        if let problem = dtype.rawSizeProblem(rawSize, vectors: vectors.partialValue, hidden: hidden) {
            throw StrataError(.corrupt, "block \(problem)")
        }
        if codec == codecNone, storedSize != rawSize {
            throw StrataError(.corrupt, "uncompressed block stores \(storedSize) bytes, expected \(rawSize)")
        }
        if codec == codecZstd, storedSize > ZstdCompressor.bound(rawSize) {
            throw StrataError(.corrupt, "block stored size \(storedSize) exceeds the zstd bound for \(rawSize) raw bytes")
        }
        return h
    }
}
