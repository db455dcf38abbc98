/// The seal of a shard (spec/FORMAT.md §2, §7): the trailer that ends the file and the index it points
/// to, checked the way every reader checks them when it opens a shard.
struct ShardSeal {
    let indexOffset: Int
    let rows: [ShardIndex.Row]

    /// Reads the trailer and the index of a shard whose body starts at `bodyStart`, and checks that the
    /// index rows lay out the body exactly (§7).
    /// - Throws: `.unsealed` when the file does not end in a valid trailer; `.brokenSeal` when it does but
    ///   a trailer field or the index fails a check; `.corrupt` when the index rows do not cover the body
    ///   byte for byte (out of order, overlapping, or leaving a gap, §1).
    static func read(_ file: FileDescriptor, fileSize: Int, bodyStart: Int, path: String) throws -> ShardSeal {
        let indexOffset: Int
        let rows: [ShardIndex.Row]
        do {
            guard fileSize >= bodyStart + Trailer.size,
                let trailer = try Trailer.decode(try file.read(count: Trailer.size, at: fileSize - Trailer.size))
            else {
                throw StrataError(
                    .unsealed,
                    "shard is unsealed (no valid trailer: its writer was killed or has not finished); run `strata recover \(path)` to restore its completed records and seal it"
                )
            }
            indexOffset = trailer.indexOffset
            guard indexOffset >= bodyStart, indexOffset <= fileSize - Trailer.size - ShardIndex.headerSize else {
                throw StrataError(
                    .brokenSeal, "trailer points to index offset \(indexOffset) outside the file body", offset: fileSize - Trailer.size)
            }
            let idx = try ShardIndex.decodeHeader(try file.read(count: ShardIndex.headerSize, at: indexOffset))
            // Compared by subtraction: a length read from the file may be near Int.max (fuzz/README.md).
            guard idx.bodyLength == fileSize - Trailer.size - ShardIndex.headerSize - indexOffset else {
                throw StrataError(.brokenSeal, "index (\(idx.count) records) does not end where the trailer begins", offset: indexOffset)
            }
            guard idx.count == trailer.recordCount else {
                throw StrataError(
                    .brokenSeal, "trailer says \(trailer.recordCount) records but the index has \(idx.count)", offset: indexOffset)
            }
            rows = try ShardIndex.decodeBody(
                try file.read(count: idx.bodyLength, at: indexOffset + ShardIndex.headerSize),
                count: idx.count, crc: idx.bodyCRC
            ).rows
        } catch var error as StrataError where error.kind == .corrupt || error.kind == .brokenSeal {
            // The file ends in a valid trailer, so what fails here is the seal, not the records it indexes.
            error.kind = .brokenSeal
            error.message += "; the shard's seal is broken: run `strata recover \(path)` to rebuild its index from the record entries"
            throw error.located(offset: fileSize - Trailer.size)
        }
        var areaStart = bodyStart
        for (i, row) in rows.enumerated() {
            // A record's area is its blocks (72-byte header + payload each) followed by its entry.
            // Sizes read from the file are compared by subtraction or bounded first, so none overflows.
            guard row.storedBytes <= indexOffset, row.blockCount <= indexOffset / BlockHeader.size,
                row.entryLength >= RecordEntry.headerSize,
                row.entryOffset == areaStart + row.blockCount * BlockHeader.size + row.storedBytes,
                row.entryLength <= indexOffset - row.entryOffset
            else {
                throw StrataError(
                    .corrupt,
                    "index row does not follow the previous record without a gap (its entry at \(row.entryOffset), "
                        + "expected \(row.blockCount) blocks of \(row.storedBytes) stored bytes from offset \(areaStart))",
                    record: i, offset: indexOffset + ShardIndex.headerSize + i * ShardIndex.rowSize)
            }
            areaStart = row.entryOffset + row.entryLength
        }
        guard areaStart == indexOffset else {
            throw StrataError(.corrupt, "\(indexOffset - areaStart) bytes between the last record entry and the index", offset: areaStart)
        }
        return ShardSeal(indexOffset: indexOffset, rows: rows)
    }
}
