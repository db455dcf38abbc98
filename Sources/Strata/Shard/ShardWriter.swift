import Foundation

/// Append-only shard writer; crash-safe (a kill loses at most the record being written).
///
/// Layout on disk: header + metadata JSON, then for each record its blocks followed by its record
/// (commit) entry, and on `close()` the index and trailer. Nothing already written is ever rewritten.
public final class ShardWriter {
    public let path: String
    public let metadata: StrataMetadata
    public let options: WriterOptions
    private let file: FileDescriptor
    /// One block encoder per compression thread.
    private let encoders: [BlockEncoder]
    private let bodyStart: Int
    /// End of the last complete record entry (where a failed append rolls back to).
    private var committedEnd: Int
    private var rows: [ShardIndex.Row] = []
    private var ids = Set<String>()
    private var closed = false
    /// Set when an I/O failure left the file in an unknown state; every later call throws.
    private var broken: StrataError?

    /// Per-vector relative L2 errors of the records this writer appended (not those kept from an
    /// earlier run when appending); empty for a lossless dtype.
    public private(set) var quantizationErrorStats = QuantizationErrorStats()

    /// The distribution of `quantizationErrorStats`, or nil for a lossless dtype.
    public var quantizationErrors: QuantizationErrorSummary? { metadata.dtype.isLossy ? quantizationErrorStats.summary : nil }

    public var recordCount: Int { rows.count }
    /// Bytes written so far.
    public var byteCount: Int { committedEnd }

    /// Creates (or overwrites) the shard at `path` and writes its header and metadata.
    public init(path: String, metadata: StrataMetadata, options: WriterOptions = .init()) throws {
        if let problem = metadata.validationProblem() { throw StrataError(.invalidArgument, "invalid metadata: \(problem)", path: path) }
        guard (1...22).contains(options.zstdLevel) else {
            throw StrataError(.invalidArgument, "zstd level \(options.zstdLevel) is outside 1...22", path: path)
        }
        guard options.blockTargetBytes >= 1 && options.blockTargetBytes <= StrataLimits.maxBlockRawBytes else {
            throw StrataError(
                .invalidArgument, "block target \(options.blockTargetBytes) bytes is outside 1...\(StrataLimits.maxBlockRawBytes)",
                path: path)
        }
        guard options.compressionThreads >= 0 else { throw StrataError(.invalidArgument, "compression threads must be >= 0", path: path) }
        if let lpb = options.layersPerBlock, lpb < 1 {
            throw StrataError(.invalidArgument, "layers per block must be at least 1", path: path)
        }
        var meta = metadata
        meta.codec = CodecSettings(
            level: options.zstdLevel, blockTargetBytes: options.blockTargetBytes, layersPerBlock: options.layersPerBlock)
        self.path = path
        self.metadata = meta
        self.options = options
        let threads = options.compressionThreads > 0 ? options.compressionThreads : ProcessInfo.processInfo.activeProcessorCount
        let bound = meta.dtype == .q8 ? meta.quantization?.maxRelError : nil
        self.encoders = try (0..<max(1, min(threads, 64))).map { _ in try BlockEncoder(level: options.zstdLevel, maxRelError: bound) }
        let json = try ShardWriter.encodeMetadata(meta)
        self.file = try FileDescriptor.openForWriting(path, create: true, truncate: true)
        let header = FileHeader(minor: meta.dtype.formatMinorVersion, metadataLength: json.count, metadataCRC: CRC32C.checksum(json))
        try file.write(header.encode() + json, at: 0)
        bodyStart = FileHeader.size + json.count
        committedEnd = bodyStart
    }

    /// Reopens an existing shard — sealed, or unsealed after a crash — to append more records (resume).
    /// Every intact record is kept (as `strata recover` would); the old index/trailer and any partial
    /// record are cut off, and `close()` seals the shard again. The shard keeps its original metadata;
    /// `options` apply to the records appended now.
    public init(appendingTo path: String, options: WriterOptions = .init()) throws {
        guard (1...22).contains(options.zstdLevel) else {
            throw StrataError(.invalidArgument, "zstd level \(options.zstdLevel) is outside 1...22", path: path)
        }
        guard options.blockTargetBytes >= 1 && options.blockTargetBytes <= StrataLimits.maxBlockRawBytes, options.compressionThreads >= 0,
            (options.layersPerBlock ?? 1) >= 1
        else {
            throw StrataError(.invalidArgument, "invalid writer options", path: path)
        }
        let file = try FileDescriptor.openForWriting(path, create: false, truncate: false)
        let scan: ShardScanner.Result
        do { scan = try ShardScanner.scan(file) } catch let e as StrataError { throw e.located(path: path) }
        try file.truncate(to: scan.committedEnd)
        self.path = path
        self.metadata = scan.metadata
        self.options = options
        self.file = file
        let threads = options.compressionThreads > 0 ? options.compressionThreads : ProcessInfo.processInfo.activeProcessorCount
        let bound = scan.metadata.dtype == .q8 ? scan.metadata.quantization?.maxRelError : nil
        self.encoders = try (0..<max(1, min(threads, 64))).map { _ in try BlockEncoder(level: options.zstdLevel, maxRelError: bound) }
        bodyStart = scan.header.bodyStart
        committedEnd = scan.committedEnd
        rows = scan.rows
        ids = scan.ids
    }

    static func encodeMetadata(_ meta: StrataMetadata) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(meta))
    }

    private func checkUsable() throws {
        if let broken { throw broken }
        if closed { throw StrataError(.invalidArgument, "writer is already closed", path: path) }
    }

    /// Validates `record` (everything but its values) against the metadata; throws before anything is written.
    private func validate(_ record: RecordInput) throws {
        func bad(_ why: String) -> StrataError { StrataError(.invalidArgument, why, path: path, record: rows.count, recordID: record.id) }
        let t = record.tokenIDs.count
        guard t <= StrataLimits.maxTokens else { throw bad("\(t) tokens exceed the limit \(StrataLimits.maxTokens)") }
        if let problem = StrataLimits.recordValueProblem(
            layers: metadata.layers.count, tokens: t, hidden: metadata.hidden,
            width: metadata.dtype.byteWidth)
        {
            throw bad(problem)
        }
        guard record.labels.count <= StrataLimits.maxLabels else { throw bad("too many labels (\(record.labels.count))") }
        guard !ids.contains(record.id) else { throw bad("duplicate record id in this shard") }
        if let problem = metadata.auxiliary.problem(with: record.auxiliary) { throw bad(problem) }
    }

    /// Appends one record: its blocks, then its commit entry. If anything fails midway the partial
    /// record is truncated away, so the shard still holds exactly the earlier records.
    public func append(_ record: RecordInput, values: HiddenStatesBuffer) throws {
        try checkUsable()
        try validate(record)
        let t = record.tokenIDs.count
        let expected = metadata.layers.count * t * metadata.hidden
        guard values.count == expected else {
            throw StrataError(
                .invalidArgument,
                "values hold \(values.count) elements, expected layers \(metadata.layers.count) × tokens \(t) × hidden \(metadata.hidden) = \(expected)",
                path: path, record: rows.count, recordID: record.id)
        }
        let plan = BlockPlan(
            layers: metadata.layers.count, tokens: t, hidden: metadata.hidden, width: metadata.dtype.byteWidth,
            targetBytes: options.blockTargetBytes, layersPerBlock: options.layersPerBlock)
        let hidden = metadata.hidden, stored = metadata.dtype
        let ordinal = rows.count, idHash = recordIDHash(record.id)
        try commit(
            record, blockCount: plan.tiles.count, parallel: expected * stored.byteWidth >= 256 * 1024,
            prepare: { encoder, k in
                try encoder.encode(
                    values: values, tokens: t, hidden: hidden, stored: stored, tile: plan.tiles[k],
                    recordOrdinal: ordinal, idHash: idHash)
            }, payload: { _ in nil })
    }

    /// Appends one record from blocks the caller has already cut: some as values the writer encodes,
    /// some pre-encoded (`RecordBlock.encoded`) and stored byte for byte — a converter's way to copy
    /// compressed data without recompressing it. The blocks must tile the record as spec/FORMAT.md §5
    /// requires (layer groups in order, each cut into consecutive token ranges), in that order.
    ///
    /// A pre-encoded block must match the metadata's hidden size and dtype, declare
    /// `raw_size = layers × tokens × hidden × width`, and hold either exactly that many bytes
    /// (codec "none") or one zstd frame declaring that content size and ending exactly at the end of
    /// the payload (codec "zstd"). The writer decodes every zstd payload once (into scratch memory,
    /// on the compression threads) before computing its CRC32C — or, when the block carries the
    /// checksum recorded at its source (`StoredBlock.sourceCRC`), checks the payload against that
    /// instead — so a damaged payload is refused here (`StrataError.Kind.corrupt`, naming the block)
    /// instead of being sealed under a valid checksum. Nothing is written for a record that fails any check.
    public func append(_ record: RecordInput, blocks: [RecordBlock]) throws {
        try checkUsable()
        try validate(record)
        let ordinal = rows.count, idHash = recordIDHash(record.id)
        let hidden = metadata.hidden, stored = metadata.dtype, width = stored.byteWidth
        func bad(_ k: Int?, _ why: String) -> StrataError {
            StrataError(.invalidArgument, why, path: path, record: ordinal, recordID: record.id, block: k)
        }
        var rawTotal = 0
        var refs: [BlockRef] = []
        for (k, block) in blocks.enumerated() {
            let lc = block.layerCount, tc = block.tokenCount
            guard lc > 0, tc > 0, lc <= StrataLimits.maxLayers, tc <= StrataLimits.maxTokens else {
                throw bad(k, "empty or oversized block \(lc) layers × \(tc) tokens")
            }
            var raw = lc * tc * hidden * width
            guard raw <= StrataLimits.maxBlockRawBytes else {
                throw bad(k, "block of \(raw) raw bytes exceeds the limit \(StrataLimits.maxBlockRawBytes)")
            }
            switch block {
            case .values(_, _, _, _, let values):
                guard values.count == lc * tc * hidden else {
                    throw bad(k, "values hold \(values.count) elements, expected \(lc) × \(tc) × \(hidden)")
                }
                // q8's raw size depends on the outlier count the encoder picks; any valid one serves the shape check.
                if stored == .q8 { raw = Q8Layout(vectors: lc * tc, hidden: hidden, outliers: 0).rawSize }
            case .encoded(let encoded):
                guard encoded.hidden == hidden, encoded.dtype == stored else {
                    throw bad(
                        k,
                        "pre-encoded block has hidden \(encoded.hidden) \(encoded.dtype.rawValue), the shard holds hidden \(hidden) \(stored.rawValue)"
                    )
                }
                if let problem = stored.rawSizeProblem(encoded.rawSize, vectors: lc * tc, hidden: hidden) {
                    throw bad(k, "pre-encoded block declares \(encoded.rawSize) raw bytes, which its shape cannot have: \(problem)")
                }
                raw = encoded.rawSize
                guard raw <= StrataLimits.maxBlockRawBytes else {
                    throw bad(k, "block of \(raw) raw bytes exceeds the limit \(StrataLimits.maxBlockRawBytes)")
                }
                switch encoded.codec {
                case "none":
                    guard encoded.payload.count == raw else {
                        throw bad(k, "uncompressed block holds \(encoded.payload.count) bytes, expected \(raw)")
                    }
                case "zstd":
                    guard !encoded.payload.isEmpty, encoded.payload.count <= ZstdCompressor.bound(raw) else {
                        throw bad(k, "zstd payload of \(encoded.payload.count) bytes is impossible for \(raw) raw bytes")
                    }
                default:
                    throw bad(k, "unknown codec \"\(encoded.codec)\" (expected zstd or none)")
                }
            }
            rawTotal += raw
            refs.append(
                BlockRef(
                    offset: 0, layerStart: block.layerStart, layerCount: lc, tokenStart: block.tokenStart, tokenCount: tc,
                    storedSize: 0, rawSize: raw, payloadCRC: 0))
        }
        let shape = RecordEntry(
            ordinal: ordinal, id: record.id, labels: record.labels, tokenIDs: record.tokenIDs, text: record.text,
            metadata: record.metadata, auxiliary: record.auxiliary, blocks: refs)
        if let problem = shape.tilingProblem(layers: metadata.layers.count, hidden: hidden, dtype: stored) { throw bad(nil, problem) }
        let checked = try checkEncoded(blocks, record: record, ordinal: ordinal, idHash: idHash, parallel: rawTotal >= 256 * 1024)
        let valueBytes = blocks.reduce(0) { total, block in
            if case .values(_, let lc, _, let tc, _) = block { return total + lc * tc * hidden * width }
            return total
        }
        try commit(
            record, blockCount: blocks.count, parallel: valueBytes >= 256 * 1024,
            prepare: { encoder, k in
                switch blocks[k] {
                case .values(let layerStart, let lc, let tokenStart, let tc, let values):
                    return try encoder.encode(
                        values: values, tokens: tc, hidden: hidden, stored: stored,
                        tile: BlockPlan.Tile(layerStart: 0, layerCount: lc, tokenStart: 0, tokenCount: tc),
                        recordOrdinal: ordinal, idHash: idHash, origin: (layerStart, tokenStart))
                case .encoded:
                    let header = checked[k]!
                    return (header, encoder.stage(header))
                }
            },
            payload: { k in
                if case .encoded(let encoded) = blocks[k] { return encoded.payload }
                return nil
            })
    }

    /// Checks every pre-encoded block of a record (zstd frames decoded once, CRC32C computed) — in
    /// one pass spread over the compression threads when `parallel` — and returns their headers by
    /// block index. Throws `.corrupt` naming the first damaged block; nothing has been written then.
    private func checkEncoded(
        _ blocks: [RecordBlock], record: RecordInput, ordinal: Int, idHash: UInt64,
        parallel: Bool
    ) throws -> [BlockHeader?] {
        let indices = blocks.indices.filter { if case .encoded = blocks[$0] { return true } else { return false } }
        var headers = [BlockHeader?](repeating: nil, count: blocks.count)
        let workers = parallel ? min(encoders.count, indices.count) : 1
        let failures = FailureCollector()
        func run(_ worker: Int, _ slots: UnsafeMutablePointer<BlockHeader?>) {
            for j in stride(from: worker, to: indices.count, by: workers) {
                let k = indices[j]
                guard case .encoded(let encoded) = blocks[k] else { continue }
                do {
                    slots[k] = try encoders[worker].check(encoded, recordOrdinal: ordinal, idHash: idHash)
                } catch let error as StrataError {
                    var located = error.located(path: path, record: ordinal, recordID: record.id, block: k)
                    located.message =
                        "pre-encoded block \(k) (layers \(encoded.layerStart)..<\(encoded.layerStart + encoded.layerCount), tokens \(encoded.tokenStart)..<\(encoded.tokenStart + encoded.tokenCount)) is damaged: "
                        + error.message
                    failures.record(k, located)
                    return
                } catch {
                    failures.record(k, error)
                    return
                }
            }
        }
        headers.withUnsafeMutableBufferPointer { slots in
            let base = slots.baseAddress!
            if workers > 1 {
                DispatchQueue.concurrentPerform(iterations: workers) { run($0, base) }
            } else if workers == 1 {
                run(0, base)
            }
        }
        if let failure = failures.first { throw failure }
        return headers
    }

    /// Writes a record's blocks in order — `prepare(encoder, k)` builds block k into `encoder.output`
    /// (header + payload, or only the header when `payload(k)` supplies the payload bytes), batches
    /// of blocks in parallel when `parallel` — then its commit entry. Rolls back on any failure.
    private func commit(
        _ record: RecordInput, blockCount: Int, parallel wanted: Bool,
        prepare: (BlockEncoder, Int) throws -> (BlockHeader, Int), payload: (Int) -> [UInt8]?
    ) throws {
        let ordinal = rows.count
        let nTokens = record.tokenIDs.count
        var offset = committedEnd
        var recordErrors = QuantizationErrorStats()
        do {
            var refs: [BlockRef] = []
            refs.reserveCapacity(blockCount)
            let parallel = wanted && encoders.count > 1 && blockCount > 1
            var next = 0
            while next < blockCount {
                // Prepare a batch of blocks (in parallel when worthwhile), then write them in order.
                let batch = parallel ? min(encoders.count, blockCount - next) : 1
                var results = [(BlockHeader, Int)?](repeating: nil, count: batch)
                if batch > 1 {
                    let failures = FailureCollector()
                    let base = next
                    results.withUnsafeMutableBufferPointer { slots in
                        let slotAddress = slots.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: batch) { k in
                            do {
                                slotAddress[k] = try prepare(encoders[k], base + k)
                            } catch { failures.record(k, error) }
                        }
                    }
                    if let failure = failures.first { throw failure }
                } else {
                    results[0] = try prepare(encoders[0], next)
                }
                for k in 0..<batch {
                    guard let (header, length) = results[k] else { continue }
                    for error in encoders[k].lastErrors { recordErrors.add(error) }
                    try file.write(UnsafeRawBufferPointer(start: encoders[k].output.baseAddress, count: length), at: offset)
                    offset += length
                    if let bytes = payload(next + k) {
                        try bytes.withUnsafeBytes { try file.write($0, at: offset) }
                        offset += bytes.count
                    }
                    refs.append(
                        BlockRef(
                            offset: offset - BlockHeader.size - header.storedSize, layerStart: header.layerStart,
                            layerCount: header.layerCount, tokenStart: header.tokenStart, tokenCount: header.tokenCount,
                            storedSize: header.storedSize, rawSize: header.rawSize, payloadCRC: header.payloadCRC))
                }
                next += batch
            }
            let entry = RecordEntry(
                ordinal: ordinal, id: record.id, labels: record.labels, tokenIDs: record.tokenIDs, text: record.text,
                metadata: record.metadata, auxiliary: record.auxiliary, blocks: refs)
            let bytes = entry.encode()
            guard bytes.count - RecordEntry.headerSize <= StrataLimits.maxRecordEntryBytes else {
                throw StrataError(
                    .invalidArgument, "record entry (text, metadata, token ids) is \(bytes.count) bytes, over the limit", path: path,
                    record: ordinal, recordID: record.id)
            }
            try file.write(bytes, at: offset)
            if options.syncEveryRecord { try file.sync() }
            rows.append(
                ShardIndex.Row(
                    entryOffset: offset, entryLength: bytes.count, storedBytes: entry.storedBytes,
                    nTokens: nTokens, blockCount: refs.count))
            ids.insert(record.id)
            committedEnd = offset + bytes.count
            quantizationErrorStats.merge(recordErrors)
        } catch let error as StrataError {
            rollBack()
            throw error.located(path: path, record: ordinal, recordID: record.id)
        } catch {
            rollBack()
            throw error
        }
    }

    /// Cuts a partially written record off the end of the file.
    private func rollBack() {
        do { try file.truncate(to: committedEnd) } catch let e as StrataError {
            broken = StrataError(.io, "writer is unusable after a failed append and a failed rollback: \(e.message)", path: path)
        } catch {}
    }

    /// Writes the index and trailer and fsyncs: the shard is then "sealed". Idempotent.
    public func close() throws {
        if closed { return }
        if let broken { throw broken }
        let index = ShardIndex(rows: rows).encode()
        let trailer = Trailer(indexOffset: committedEnd, recordCount: rows.count).encode()
        try file.write(index + trailer, at: committedEnd)
        try file.truncate(to: committedEnd + index.count + trailer.count)
        try file.sync()
        closed = true
        try file.close()
    }
}
