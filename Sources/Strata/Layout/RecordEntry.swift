/// A record's commit entry (spec/FORMAT.md §Record entry): written after all of the record's blocks;
/// a record exists only once this entry is completely on disk. 48-byte header + body.
struct RecordEntry: Equatable {
    static let headerSize = 48

    var ordinal: Int
    var id: String
    var labels: [Int]
    var tokenIDs: [Int32]
    var text: String?
    /// Key/value pairs, stored sorted by key.
    var metadata: [String: String]
    /// Stored in name order.
    var auxiliary: [String: [Float]]
    var blocks: [BlockRef]

    var storedBytes: Int { blocks.reduce(0) { $0 + $1.storedSize } }
    var rawBytes: Int { blocks.reduce(0) { $0 + $1.rawSize } }

    /// Header + body bytes.
    func encode() -> [UInt8] {
        var body = ByteWriter(capacity: 64 + tokenIDs.count * 4 + blocks.count * BlockRef.size)
        body.string(id)
        body.u32(UInt32(tokenIDs.count))
        body.u32(UInt32(labels.count))
        for l in labels { body.i64(Int64(l)) }
        for t in tokenIDs { body.u32(UInt32(bitPattern: t)) }
        if let text {
            body.u8(1)
            body.string(text)
        } else {
            body.u8(0)
        }
        body.u32(UInt32(metadata.count))
        for key in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            body.string(key)
            body.string(metadata[key]!)
        }
        body.u32(UInt32(auxiliary.count))
        for name in auxiliary.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let v = auxiliary[name]!
            body.string(name)
            body.u32(UInt32(v.count))
            for x in v { body.u32(x.bitPattern) }
        }
        body.u32(UInt32(blocks.count))
        for b in blocks { b.encode(into: &body) }

        var w = ByteWriter(capacity: RecordEntry.headerSize + body.count)
        w.u32(EntryMagic.record)
        w.u32(UInt32(RecordEntry.headerSize))
        w.u64(UInt64(ordinal))
        w.u64(recordIDHash(id))
        w.u64(UInt64(body.count))
        w.u32(CRC32C.checksum(body.bytes))
        w.u32(UInt32(blocks.count))
        w.u32(0)
        w.crcOfAll()
        w.raw(body.bytes)
        return w.bytes
    }

    /// The parsed fixed header, enough to know how long the body is before reading it.
    struct Header {
        var ordinal: Int
        var idHash: UInt64
        var bodyLength: Int
        var bodyCRC: UInt32
        var blockCount: Int
        var totalLength: Int { RecordEntry.headerSize + bodyLength }
    }

    static func decodeHeader(_ bytes: [UInt8]) throws -> Header {
        var r = ByteReader(bytes, what: "record entry header")
        guard try r.u32() == EntryMagic.record else { throw StrataError(.corrupt, "expected a record entry (SREC) here") }
        let hl = try r.u32()
        guard hl == UInt32(headerSize) else { throw StrataError(.corrupt, "record entry header length \(hl) is not \(headerSize)") }
        guard bytes.count >= headerSize else { throw StrataError(.corrupt, "record entry header is truncated") }
        let ordinal = try r.count64("record ordinal", limit: StrataLimits.maxRecordsPerShard)
        let idHash = try r.u64()
        let bodyLength = try r.count64("body length", limit: StrataLimits.maxRecordEntryBytes)
        let bodyCRC = try r.u32()
        let blockCount = try r.count32("block count", limit: StrataLimits.maxBlocksPerRecord)
        var reserved = r // checked after the CRC, so a damaged header is reported as such
        _ = try r.u32()
        let crc = try r.u32()
        guard crc == CRC32C.checksum(bytes[0..<(headerSize - 4)]) else {
            throw StrataError(.corrupt, "record entry header checksum mismatch")
        }
        try reserved.reserved32("field at offset 40")
        return Header(ordinal: ordinal, idHash: idHash, bodyLength: bodyLength, bodyCRC: bodyCRC, blockCount: blockCount)
    }

    /// Parses a body whose CRC the caller has already checked against `header`.
    static func decodeBody(_ body: [UInt8], header: Header) throws -> RecordEntry {
        guard CRC32C.checksum(body) == header.bodyCRC else { throw StrataError(.corrupt, "record entry body checksum mismatch") }
        var r = ByteReader(body, what: "record entry body")
        let id = try r.string("id")
        guard recordIDHash(id) == header.idHash else { throw StrataError(.corrupt, "record id does not match the id hash in its header") }
        let nTokens = try r.count32("token count", limit: StrataLimits.maxTokens)
        let nLabels = try r.count32("label count", limit: StrataLimits.maxLabels)
        guard nLabels * 8 + nTokens * 4 <= r.remaining else {
            throw StrataError(.corrupt, "record entry body is too short for \(nLabels) labels and \(nTokens) tokens")
        }
        var labels = [Int]()
        labels.reserveCapacity(nLabels)
        for _ in 0..<nLabels { labels.append(Int(try r.i64())) }
        var tokens = [Int32]()
        tokens.reserveCapacity(nTokens)
        for _ in 0..<nTokens { tokens.append(Int32(bitPattern: try r.u32())) }
        var text: String?
        switch try r.u8() {
        case 0: text = nil
        case 1: text = try r.string("text")
        case let flag: throw StrataError(.corrupt, "invalid text flag \(flag)")
        }
        let nMeta = try r.count32("metadata count", limit: r.remaining / 8)
        var metadata: [String: String] = [:]
        for _ in 0..<nMeta {
            let k = try r.string("metadata key")
            guard metadata.updateValue(try r.string("metadata value"), forKey: k) == nil else {
                throw StrataError(.corrupt, "record metadata key \"\(k)\" appears twice")
            }
        }
        let nAux = try r.count32("auxiliary count", limit: r.remaining / 8)
        var aux: [String: [Float]] = [:]
        for _ in 0..<nAux {
            let name = try r.string("auxiliary name")
            let n = try r.count32("auxiliary length", limit: r.remaining / 4)
            var v = [Float]()
            v.reserveCapacity(n)
            for _ in 0..<n { v.append(Float(bitPattern: try r.u32())) }
            guard aux.updateValue(v, forKey: name) == nil else { throw StrataError(.corrupt, "auxiliary vector \"\(name)\" appears twice") }
        }
        let nBlocks = try r.count32("block count", limit: r.remaining / BlockRef.size)
        guard nBlocks == header.blockCount else {
            throw StrataError(.corrupt, "record body lists \(nBlocks) blocks but its header says \(header.blockCount)")
        }
        var blocks = [BlockRef]()
        blocks.reserveCapacity(nBlocks)
        for _ in 0..<nBlocks { blocks.append(try BlockRef.decode(from: &r)) }
        guard r.remaining == 0 else { throw StrataError(.corrupt, "record entry body has \(r.remaining) unexpected trailing bytes") }
        return RecordEntry(
            ordinal: header.ordinal, id: id, labels: labels, tokenIDs: tokens, text: text,
            metadata: metadata, auxiliary: aux, blocks: blocks)
    }

    /// Checks that the blocks tile the record's layers × tokens exactly as the format requires: layer
    /// groups in order covering 0..<layers, each split into consecutive token ranges covering 0..<tokens,
    /// with raw sizes matching the shape. Returns a reason when they do not.
    func tilingProblem(layers: Int, hidden: Int, dtype: StrataDType) -> String? {
        let nTokens = tokenIDs.count
        if nTokens == 0 { return blocks.isEmpty ? nil : "a record with no tokens lists \(blocks.count) blocks" }
        var i = 0
        var layer = 0
        while layer < layers {
            guard i < blocks.count else { return "blocks do not cover layers \(layer)..<\(layers)" }
            let lc = blocks[i].layerCount
            guard blocks[i].layerStart == layer, lc > 0, layer + lc <= layers else {
                return "block \(i) has layer range \(blocks[i].layerStart)+\(lc), expected a group starting at layer \(layer)"
            }
            var token = 0
            while token < nTokens {
                guard i < blocks.count else { return "blocks do not cover tokens \(token)..<\(nTokens) of layers \(layer)+\(lc)" }
                let b = blocks[i]
                guard b.layerStart == layer, b.layerCount == lc, b.tokenStart == token, b.tokenCount > 0, token + b.tokenCount <= nTokens
                else {
                    return
                        "block \(i) covers layers \(b.layerStart)+\(b.layerCount) tokens \(b.tokenStart)+\(b.tokenCount), expected layers \(layer)+\(lc) from token \(token)"
                }
                if let problem = dtype.rawSizeProblem(b.rawSize, vectors: lc * b.tokenCount, hidden: hidden) {
                    return "block \(i): \(problem)"
                }
                token += b.tokenCount
                i += 1
            }
            layer += lc
        }
        return i == blocks.count ? nil : "record lists \(blocks.count - i) blocks beyond its layers × tokens"
    }
}
