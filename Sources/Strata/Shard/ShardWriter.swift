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

    public var recordCount: Int { rows.count }
    /// Bytes written so far.
    public var byteCount: Int { committedEnd }

    /// Creates (or overwrites) the shard at `path` and writes its header and metadata.
    public init(path: String, metadata: StrataMetadata, options: WriterOptions = .init()) throws {
        if let problem = metadata.validationProblem() { throw StrataError(.invalidArgument, "invalid metadata: \(problem)", path: path) }
        guard (1...22).contains(options.zstdLevel) else { throw StrataError(.invalidArgument, "zstd level \(options.zstdLevel) is outside 1...22", path: path) }
        guard options.blockTargetBytes >= 1 && options.blockTargetBytes <= StrataLimits.maxBlockRawBytes else {
            throw StrataError(.invalidArgument, "block target \(options.blockTargetBytes) bytes is outside 1...\(StrataLimits.maxBlockRawBytes)", path: path)
        }
        guard options.compressionThreads >= 0 else { throw StrataError(.invalidArgument, "compression threads must be >= 0", path: path) }
        if let lpb = options.layersPerBlock, lpb < 1 { throw StrataError(.invalidArgument, "layers per block must be at least 1", path: path) }
        var meta = metadata
        meta.codec = CodecSettings(level: options.zstdLevel, blockTargetBytes: options.blockTargetBytes, layersPerBlock: options.layersPerBlock)
        self.path = path
        self.metadata = meta
        self.options = options
        let threads = options.compressionThreads > 0 ? options.compressionThreads : ProcessInfo.processInfo.activeProcessorCount
        self.encoders = try (0..<max(1, min(threads, 64))).map { _ in try BlockEncoder(level: options.zstdLevel) }
        let json = try ShardWriter.encodeMetadata(meta)
        self.file = try FileDescriptor.openForWriting(path, create: true, truncate: true)
        let header = FileHeader(metadataLength: json.count, metadataCRC: CRC32C.checksum(json))
        try file.write(header.encode() + json, at: 0)
        bodyStart = FileHeader.size + json.count
        committedEnd = bodyStart
    }

    /// Reopens an existing shard — sealed, or unsealed after a crash — to append more records (resume).
    /// Every intact record is kept (as `strata recover` would); the old index/trailer and any partial
    /// record are cut off, and `close()` seals the shard again. The shard keeps its original metadata;
    /// `options` apply to the records appended now.
    public init(appendingTo path: String, options: WriterOptions = .init()) throws {
        guard (1...22).contains(options.zstdLevel) else { throw StrataError(.invalidArgument, "zstd level \(options.zstdLevel) is outside 1...22", path: path) }
        guard options.blockTargetBytes >= 1 && options.blockTargetBytes <= StrataLimits.maxBlockRawBytes, options.compressionThreads >= 0,
              (options.layersPerBlock ?? 1) >= 1 else {
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
        self.encoders = try (0..<max(1, min(threads, 64))).map { _ in try BlockEncoder(level: options.zstdLevel) }
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

    /// Validates `record` and `values` against the metadata; throws before anything is written.
    private func validate(_ record: RecordInput, values: HiddenStatesBuffer) throws {
        func bad(_ why: String) -> StrataError { StrataError(.invalidArgument, why, path: path, record: rows.count, recordID: record.id) }
        let t = record.tokenIDs.count
        guard t <= StrataLimits.maxTokens else { throw bad("\(t) tokens exceed the limit \(StrataLimits.maxTokens)") }
        guard record.labels.count <= StrataLimits.maxLabels else { throw bad("too many labels (\(record.labels.count))") }
        let expected = metadata.layers.count * t * metadata.hidden
        guard values.count == expected else {
            throw bad("values hold \(values.count) elements, expected layers \(metadata.layers.count) × tokens \(t) × hidden \(metadata.hidden) = \(expected)")
        }
        guard !ids.contains(record.id) else { throw bad("duplicate record id in this shard") }
        let declared = Set(metadata.auxiliary.map(\.name))
        for name in record.auxiliary.keys where !declared.contains(name) { throw bad("auxiliary vector \"\(name)\" is not declared in the metadata") }
        for a in metadata.auxiliary {
            guard let v = record.auxiliary[a.name] else { throw bad("missing auxiliary vector \"\(a.name)\"") }
            if let n = a.length, v.count != n { throw bad("auxiliary vector \"\(a.name)\" has \(v.count) values, expected \(n)") }
            guard v.count <= StrataLimits.maxAuxiliaryLength else { throw bad("auxiliary vector \"\(a.name)\" is too long") }
        }
    }

    /// Appends one record: its blocks, then its commit entry. If anything fails midway the partial
    /// record is truncated away, so the shard still holds exactly the earlier records.
    public func append(_ record: RecordInput, values: HiddenStatesBuffer) throws {
        try checkUsable()
        try validate(record, values: values)
        let ordinal = rows.count
        let idHash = recordIDHash(record.id)
        let nTokens = record.tokenIDs.count
        let plan = BlockPlan(layers: metadata.layers.count, tokens: nTokens, hidden: metadata.hidden, width: metadata.dtype.byteWidth,
                             targetBytes: options.blockTargetBytes, layersPerBlock: options.layersPerBlock)
        var offset = committedEnd
        do {
            var refs: [BlockRef] = []
            refs.reserveCapacity(plan.tiles.count)
            let hidden = metadata.hidden, stored = metadata.dtype
            let recordRaw = metadata.layers.count * nTokens * hidden * stored.byteWidth
            let parallel = encoders.count > 1 && plan.tiles.count > 1 && recordRaw >= 256 * 1024
            var next = 0
            while next < plan.tiles.count {
                // Encode a batch of blocks (in parallel when worthwhile), then write them in order.
                let batch = parallel ? min(encoders.count, plan.tiles.count - next) : 1
                var results = [(BlockHeader, Int)?](repeating: nil, count: batch)
                if batch > 1 {
                    let failures = FailureCollector()
                    let base = next
                    results.withUnsafeMutableBufferPointer { slots in
                        let slotAddress = slots.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: batch) { k in
                            do {
                                slotAddress[k] = try encoders[k].encode(values: values, tokens: nTokens, hidden: hidden, stored: stored,
                                                                        tile: plan.tiles[base + k], recordOrdinal: ordinal, idHash: idHash)
                            } catch { failures.record(k, error) }
                        }
                    }
                    if let failure = failures.first { throw failure }
                } else {
                    results[0] = try encoders[0].encode(values: values, tokens: nTokens, hidden: hidden, stored: stored,
                                                        tile: plan.tiles[next], recordOrdinal: ordinal, idHash: idHash)
                }
                for k in 0..<batch {
                    guard let (header, length) = results[k] else { continue }
                    let tile = plan.tiles[next + k]
                    try file.write(UnsafeRawBufferPointer(start: encoders[k].output.baseAddress, count: length), at: offset)
                    refs.append(BlockRef(offset: offset, layerStart: tile.layerStart, layerCount: tile.layerCount, tokenStart: tile.tokenStart,
                                         tokenCount: tile.tokenCount, storedSize: header.storedSize, rawSize: header.rawSize, payloadCRC: header.payloadCRC))
                    offset += length
                }
                next += batch
            }
            let entry = RecordEntry(ordinal: ordinal, id: record.id, labels: record.labels, tokenIDs: record.tokenIDs, text: record.text,
                                    metadata: record.metadata, auxiliary: record.auxiliary, blocks: refs)
            let bytes = entry.encode()
            guard bytes.count - RecordEntry.headerSize <= StrataLimits.maxRecordEntryBytes else {
                throw StrataError(.invalidArgument, "record entry (text, metadata, token ids) is \(bytes.count) bytes, over the limit", path: path, record: ordinal, recordID: record.id)
            }
            try file.write(bytes, at: offset)
            if options.syncEveryRecord { try file.sync() }
            rows.append(ShardIndex.Row(entryOffset: offset, entryLength: bytes.count, storedBytes: entry.storedBytes,
                                       nTokens: nTokens, blockCount: refs.count))
            ids.insert(record.id)
            committedEnd = offset + bytes.count
        } catch let error as StrataError {
            rollBack()
            throw error.located(path: path, record: ordinal, recordID: record.id)
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
