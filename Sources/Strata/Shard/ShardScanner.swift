/// Forward scan of a shard body (spec/FORMAT.md §8): finds every record whose commit entry and blocks
/// are intact, in order, and stops at the first structure that is not. Used by recovery and verify.
struct ShardScanner {
    /// What the scan found.
    struct Result {
        var header: FileHeader
        var metadata: StrataMetadata
        var rows: [ShardIndex.Row]
        /// End of the last committed record entry (or the body start when none).
        var committedEnd: Int
        var fileSize: Int
        /// Why the scan stopped before the end of the file, if it did (nil = clean end of file).
        var stopReason: String?
        /// Offset where the scan stopped.
        var stopOffset: Int
        /// True when the scan stopped at an index entry (the shard had been sealed or partly sealed).
        var stoppedAtIndex: Bool
        /// Ids of the committed records.
        var ids: Set<String>
    }

    static func scan(_ file: FileDescriptor) throws -> Result {
        let size = try file.size()
        let (header, metadata) = try ShardReader.readHeader(file, fileSize: size)
        let layers = metadata.layers.count, hidden = metadata.hidden, width = metadata.dtype.byteWidth
        var rows: [ShardIndex.Row] = []
        var candidates: [BlockRef] = []
        var candidateHashes: [UInt64] = []
        var offset = header.bodyStart
        var committedEnd = offset
        var stop: String?
        var atIndex = false
        var ids = Set<String>()

        scanning: while offset < size {
            guard offset + 8 <= size else { stop = "partial entry header"; break }
            var peek = ByteReader(try file.read(count: 8, at: offset), what: "entry")
            let tag = try peek.u32()
            switch tag {
            case EntryMagic.block:
                guard offset + BlockHeader.size <= size else { stop = "block header runs past the end of the file"; break scanning }
                let h: BlockHeader
                do { h = try BlockHeader.decode(try file.read(count: BlockHeader.size, at: offset)) } catch let e as StrataError {
                    stop = e.message; break scanning
                }
                guard offset + BlockHeader.size + h.storedSize <= size else {
                    stop = "block payload runs past the end of the file"; break scanning
                }
                guard h.recordOrdinal == rows.count, h.hidden == hidden, h.dtype == metadata.dtype, h.layerStart + h.layerCount <= layers
                else {
                    stop = "block does not belong to record \(rows.count) or does not match the metadata"; break scanning
                }
                let payload = try file.read(count: h.storedSize, at: offset + BlockHeader.size)
                guard CRC32C.checksum(payload) == h.payloadCRC else { stop = "block payload checksum mismatch"; break scanning }
                candidates.append(
                    BlockRef(
                        offset: offset, layerStart: h.layerStart, layerCount: h.layerCount, tokenStart: h.tokenStart,
                        tokenCount: h.tokenCount, storedSize: h.storedSize, rawSize: h.rawSize, payloadCRC: h.payloadCRC))
                candidateHashes.append(h.idHash)
                offset += BlockHeader.size + h.storedSize
            case EntryMagic.record:
                guard offset + RecordEntry.headerSize <= size else {
                    stop = "record entry header runs past the end of the file"; break scanning
                }
                let entry: RecordEntry
                let total: Int
                do {
                    let rh = try RecordEntry.decodeHeader(try file.read(count: RecordEntry.headerSize, at: offset))
                    guard offset + rh.totalLength <= size else { stop = "record entry runs past the end of the file"; break scanning }
                    guard rh.ordinal == rows.count else {
                        stop = "record entry ordinal \(rh.ordinal), expected \(rows.count)"; break scanning
                    }
                    entry = try RecordEntry.decodeBody(try file.read(count: rh.bodyLength, at: offset + RecordEntry.headerSize), header: rh)
                    total = rh.totalLength
                } catch let e as StrataError { stop = e.message; break scanning }
                guard entry.blocks == candidates, candidateHashes.allSatisfy({ $0 == recordIDHash(entry.id) }) else {
                    stop = "record entry's block list does not match the blocks written before it"; break scanning
                }
                // What the reader refuses is not a committed record (a recovered shard must read back).
                if let problem = StrataLimits.recordValueProblem(layers: layers, tokens: entry.tokenIDs.count, hidden: hidden, width: width)
                    ?? entry.tilingProblem(layers: layers, hidden: hidden, dtype: metadata.dtype)
                    ?? metadata.auxiliary.problem(with: entry.auxiliary)
                {
                    stop = problem
                    break scanning
                }
                guard ids.insert(entry.id).inserted else { stop = "duplicate record id \"\(entry.id)\""; break scanning }
                rows.append(
                    ShardIndex.Row(
                        entryOffset: offset, entryLength: total, storedBytes: entry.storedBytes,
                        nTokens: entry.tokenIDs.count, blockCount: entry.blocks.count))
                candidates.removeAll(keepingCapacity: true)
                candidateHashes.removeAll(keepingCapacity: true)
                offset += total
                committedEnd = offset
            case EntryMagic.index:
                atIndex = true
                stop = "index"
                break scanning
            default:
                stop = "unknown entry tag 0x\(String(tag, radix: 16))"
                break scanning
            }
        }
        return Result(
            header: header, metadata: metadata, rows: rows, committedEnd: committedEnd, fileSize: size,
            stopReason: stop, stopOffset: offset, stoppedAtIndex: atIndex, ids: ids)
    }
}
