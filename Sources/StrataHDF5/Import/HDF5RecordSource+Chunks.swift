import Strata

/// A record read along its dataset's chunk grid: whole `[shuffle, zstd]` chunks as stored
/// payloads, the pieces that are not whole chunks as values (spec/HDF5.md §5.1).
struct HDF5ChunkedRecord {
    enum Block {
        /// A chunk as stored, and where it lies in the dataset.
        case chunk(StoredBlock, origin: [Int])
        /// Values of a piece, layer-major, at `byteOffset` of the values buffer.
        case values(layerStart: Int, layerCount: Int, tokenStart: Int, tokenCount: Int, byteOffset: Int, byteCount: Int)
    }

    /// The dataset the chunks come from (for messages).
    var datasetPath: String
    var blocks: [Block]
    var chunksCopied: Int
}

extension HDF5RecordSource {
    /// The dataset holding record `index`'s values.
    func activationDataset(_ index: Int) throws -> HDF5Dataset {
        if case .groupPerExample(let groups) = layout.arrangement {
            return try root.openGroup(groups[index]).openDataset(layout.dataName)
        }
        return data!
    }

    /// Reads record `index` as blocks along the chunk grid when its dataset qualifies and at least
    /// one piece is a whole chunk; the values of the other pieces go to `values` (grown as needed).
    /// Returns nil when the record should be read with `readValues` and encoded instead.
    func readChunked(_ index: Int, values: inout [UInt8]) throws -> HDF5ChunkedRecord? {
        let dataset = try activationDataset(index)
        let grid: HDF5ChunkGrid?
        if case .groupPerExample = layout.arrangement {
            grid = try HDF5ChunkGrid(dataset: dataset, layout: layout)
        } else {
            if sharedChunkGrid == nil { sharedChunkGrid = .some(try HDF5ChunkGrid(dataset: dataset, layout: layout)) }
            grid = sharedChunkGrid!
        }
        guard let grid,
            let pieces = grid.pieces(
                record: index, tokenStart: layout.tokenStarts[index], tokenCount: layout.tokenCounts[index],
                layers: layout.layerCount, hidden: layout.hidden)
        else { return nil }
        let width = layout.valueType.byteWidth, hidden = layout.hidden
        let dtype = layout.valueType.strataDType
        let valueBytes = pieces.filter { !$0.isWholeChunk }.reduce(0) { $0 + $1.layerCount * $1.tokenCount * hidden * width }
        if values.count < valueBytes { values = [UInt8](repeating: 0, count: valueBytes) }
        // A groups export carries each copied chunk's CRC32C: check against it instead of decoding.
        let checksums: HDF5ChunkChecksums? = {
            if case .groupPerExample = layout.arrangement { return try? HDF5ChunkChecksums(dataset: dataset) }
            return nil
        }()
        var blocks: [HDF5ChunkedRecord.Block] = []
        var used = 0, copied = 0
        for piece in pieces {
            let raw = piece.layerCount * piece.tokenCount * hidden * width
            if piece.isWholeChunk {
                let (mask, bytes) = try dataset.readChunk(at: piece.origin, maxBytes: StoredBlock.maxPayloadBytes(rawSize: raw))
                let encoding = grid.encoding(filterMask: mask)
                let block = StoredBlock(
                    layerStart: piece.layerStart, layerCount: piece.layerCount, tokenStart: piece.tokenStart,
                    tokenCount: piece.tokenCount, hidden: hidden, dtype: dtype, codec: encoding.codec,
                    shuffled: encoding.shuffled, rawSize: raw, payload: bytes,
                    sourceCRC: checksums?.checksum(origin: piece.origin))
                blocks.append(.chunk(block, origin: piece.origin))
                copied += 1
            } else {
                try values.withUnsafeMutableBytes {
                    try dataset.read(
                        into: UnsafeMutableRawBufferPointer(rebasing: $0[used..<used + raw]), as: layout.valueType.memoryType,
                        start: piece.origin, count: piece.count)
                }
                blocks.append(
                    .values(
                        layerStart: piece.layerStart, layerCount: piece.layerCount, tokenStart: piece.tokenStart,
                        tokenCount: piece.tokenCount, byteOffset: used, byteCount: raw))
                used += raw
            }
        }
        return HDF5ChunkedRecord(datasetPath: dataset.path, blocks: blocks, chunksCopied: copied)
    }
}
