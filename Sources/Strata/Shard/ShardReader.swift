import Foundation

/// Reads one sealed shard. Thread-safe for concurrent reads (pread-based; record entries are parsed
/// lazily and kept in the process-wide, byte-bounded `RecordEntryCache`).
public final class ShardReader: @unchecked Sendable {
    public let path: String
    public let metadata: StrataMetadata
    /// Format version (major, minor) from the file header.
    public let version: (major: Int, minor: Int)
    /// Size of the file in bytes.
    public let fileSize: Int
    /// Device and inode of the open file: equal for two readers of one file, however it was named.
    let fileIdentity: FileIdentity
    private let file: FileDescriptor
    let bodyStart: Int
    let indexOffset: Int
    private let rows: [ShardIndex.Row]
    /// Parsed record entries live in the process-wide, byte-bounded `RecordEntryCache` under this key.
    private let entryCache = RecordEntryCache.shared
    private let cacheKey = RecordEntryCache.shared.newReader()
    private let lock = NSLock()
    /// Shared by all readers: memory for decoding scales with concurrent reads, not open shards.
    private let workspaces = DecodeWorkspacePool.shared
    private var blocksDecodedCounter = 0

    /// Number of blocks decompressed by this reader so far (for tests and benchmarks: a layer-subset read
    /// must touch only the blocks it needs).
    public var blocksDecoded: Int {
        lock.lock(); defer { lock.unlock() }
        return blocksDecodedCounter
    }

    /// Reads below this many raw bytes are decoded on the calling thread only.
    public var parallelThresholdBytes = 512 * 1024

    public var count: Int { rows.count }

    /// Opens a sealed shard; throws a clear "unsealed: run strata recover" error for a shard whose writer
    /// never finished, `.brokenSeal` for a valid trailer whose index is damaged (`ShardSeal`), and
    /// `.notAShard` / `.corrupt` errors for anything else wrong with its structure.
    public init(path: String) throws {
        self.path = path
        file = try FileDescriptor.openForReading(path)
        do {
            fileSize = try file.size()
            fileIdentity = try file.identity()
            let (header, meta) = try ShardReader.readHeader(file, fileSize: fileSize)
            metadata = meta
            version = (Int(header.major), Int(header.minor))
            bodyStart = header.bodyStart
            let seal = try ShardSeal.read(file, fileSize: fileSize, bodyStart: bodyStart, path: path)
            indexOffset = seal.indexOffset
            rows = seal.rows
        } catch let e as StrataError {
            throw e.located(path: path)
        }
    }

    /// Reads and validates the file header and metadata JSON.
    /// `readerMinorVersion` is the newest format minor version the caller understands (spec/FORMAT.md
    /// §12): a shard whose dtype needs a newer one is refused with a message saying so — as a reader
    /// of that older version refuses it.
    static func readHeader(
        _ file: FileDescriptor, fileSize: Int,
        readerMinorVersion: UInt16 = FileHeader.minorVersion
    ) throws -> (FileHeader, StrataMetadata) {
        guard fileSize >= FileHeader.size else {
            throw StrataError(.notAShard, "file is \(fileSize) bytes, shorter than the \(FileHeader.size)-byte Strata header")
        }
        let header = try FileHeader.decode(try file.read(count: FileHeader.size, at: 0))
        guard header.bodyStart <= fileSize else {
            throw StrataError(
                .truncated, "metadata (\(header.metadataLength) bytes) extends past the end of the \(fileSize)-byte file",
                offset: FileHeader.size)
        }
        let json = try file.read(count: header.metadataLength, at: FileHeader.size)
        guard CRC32C.checksum(json) == header.metadataCRC else {
            throw StrataError(.corrupt, "metadata checksum mismatch", offset: FileHeader.size)
        }
        try FormatVersionCheck.checkDType(metadataJSON: json, header: header, readerMinorVersion: readerMinorVersion)
        let meta: StrataMetadata
        do {
            meta = try JSONDecoder().decode(StrataMetadata.self, from: Data(json))
        } catch {
            throw StrataError(.corrupt, "metadata JSON is invalid: \(error)", offset: FileHeader.size)
        }
        if let problem = meta.validationProblem() { throw StrataError(.corrupt, "metadata: \(problem)", offset: FileHeader.size) }
        return (header, meta)
    }

    private func checkIndex(_ index: Int) throws {
        guard index >= 0 && index < rows.count else {
            throw StrataError(.invalidArgument, "record index \(index) is out of range 0..<\(rows.count)", path: path)
        }
    }

    /// The parsed and validated record entry of record `index` (cached).
    func entry(_ index: Int) throws -> RecordEntry {
        try checkIndex(index)
        if let cached = entryCache.entry(reader: cacheKey, index: index) { return cached }
        let row = rows[index]
        let e: RecordEntry
        do {
            let bytes = try file.read(count: row.entryLength, at: row.entryOffset)
            let header = try RecordEntry.decodeHeader(bytes)
            guard header.totalLength == row.entryLength, header.ordinal == index else {
                throw StrataError(
                    .corrupt,
                    "record entry does not match its index row (length \(header.totalLength) vs \(row.entryLength), ordinal \(header.ordinal))"
                )
            }
            e = try RecordEntry.decodeBody(Array(bytes[RecordEntry.headerSize...]), header: header)
            if let problem = StrataLimits.recordValueProblem(
                layers: metadata.layers.count, tokens: e.tokenIDs.count,
                hidden: metadata.hidden, width: metadata.dtype.byteWidth)
            {
                throw StrataError(.corrupt, "record entry declares \(problem)")
            }
            guard e.tokenIDs.count == row.nTokens, e.blocks.count == row.blockCount, e.storedBytes == row.storedBytes else {
                throw StrataError(.corrupt, "record entry does not match its index row (tokens, block count or stored bytes)")
            }
            if let problem = e.tilingProblem(layers: metadata.layers.count, hidden: metadata.hidden, dtype: metadata.dtype) {
                throw StrataError(.corrupt, "record's blocks are inconsistent: \(problem)")
            }
            if let problem = metadata.auxiliary.problem(with: e.auxiliary) { throw StrataError(.corrupt, problem) }
            // The blocks fill the record's area (after the previous entry, before its own) without a gap (§1).
            var blockStart = index == 0 ? bodyStart : rows[index - 1].entryOffset + rows[index - 1].entryLength
            for (b, ref) in e.blocks.enumerated() {
                // Compared by subtraction: a size read from the file may be near Int.max (fuzz/README.md).
                guard ref.offset == blockStart, ref.storedSize <= row.entryOffset - BlockHeader.size - ref.offset else {
                    throw StrataError(
                        .corrupt,
                        "block reference points to offset \(ref.offset) with \(ref.storedSize) stored bytes, expected a block from \(blockStart) (right after the previous block or record entry) that ends before the record entry",
                        block: b, offset: ref.offset)
                }
                blockStart = ref.offset + BlockHeader.size + ref.storedSize
            }
            guard blockStart == row.entryOffset else {
                throw StrataError(
                    .corrupt, "the record's blocks end at offset \(blockStart), not where its entry begins (\(row.entryOffset))")
            }
        } catch let err as StrataError {
            throw err.located(path: path, record: index, offset: row.entryOffset)
        }
        entryCache.insert(e, reader: cacheKey, index: index)
        return e
    }

    /// The id hash in record `index`'s entry header (one 48-byte read; the body is not read), or nil when
    /// that header is damaged: reading the record then fails and names it.
    func entryIDHash(_ index: Int) throws -> UInt64? {
        try checkIndex(index)
        let bytes = try file.read(count: RecordEntry.headerSize, at: rows[index].entryOffset)
        guard let header = try? RecordEntry.decodeHeader(bytes), header.ordinal == index else { return nil }
        return header.idHash
    }

    public func info(_ index: Int) throws -> RecordInfo {
        let e = try entry(index)
        return RecordInfo(
            id: e.id, labels: e.labels, nTokens: e.tokenIDs.count, tokenIDs: e.tokenIDs, text: e.text,
            metadata: e.metadata, storedBytes: e.storedBytes, rawBytes: e.rawBytes, blockCount: e.blocks.count)
    }

    /// Number of tokens of record `index`, from the index (no record entry read).
    public func tokenCount(_ index: Int) throws -> Int {
        try checkIndex(index)
        return rows[index].nTokens
    }

    /// Offset and length of record `index`'s entry, from the index.
    func rowOffset(_ index: Int) throws -> Int {
        try checkIndex(index)
        return rows[index].entryOffset
    }

    func rowLength(_ index: Int) throws -> Int {
        try checkIndex(index)
        return rows[index].entryLength
    }

    /// Stored (compressed) payload bytes of record `index`, from the index.
    public func storedBytes(_ index: Int) throws -> Int {
        try checkIndex(index)
        return rows[index].storedBytes
    }

    public func auxiliary(_ index: Int, name: String) throws -> [Float] {
        let e = try entry(index)
        guard let v = e.auxiliary[name] else {
            throw StrataError(.invalidArgument, "record has no auxiliary vector \"\(name)\"", path: path, record: index, recordID: e.id)
        }
        return v
    }

    /// Values as f32, layer-major (selected layers in the order given) × tokens × hidden.
    /// `layers` are positions in metadata.layers (nil = all); `tokens` a range (nil = all).
    /// Decodes only the blocks that overlap the request.
    public func readFloat(_ index: Int, layers: [Int]? = nil, tokens: Range<Int>? = nil) throws -> [Float] {
        let e = try entry(index)
        let nl = layers?.count ?? metadata.layers.count
        let nt = tokens?.count ?? e.tokenIDs.count
        let total = nl * nt * metadata.hidden
        return try [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            try readFloat(index, layers: layers, tokens: tokens, into: buffer)
            initialized = total
        }
    }

    /// As `readFloat(_:layers:tokens:)`, into a caller-provided buffer of exactly
    /// selected layers × selected tokens × hidden elements.
    public func readFloat(_ index: Int, layers: [Int]?, tokens: Range<Int>?, into: UnsafeMutableBufferPointer<Float>) throws {
        guard let out = into.baseAddress else {
            return try decodeSelection(index, layers: layers, tokens: tokens, outputElements: into.count) { _, _, _, _, _, _ in }
        }
        let dtype = metadata.dtype, hidden = metadata.hidden
        let outAddress = UInt(bitPattern: out)
        try decodeSelection(index, layers: layers, tokens: tokens, outputElements: into.count) { planes, stride, at, count, element, q8 in
            let d = UnsafeMutablePointer<Float>(bitPattern: outAddress)! + element
            switch dtype {
            case .bf16: ByteShuffle.gatherBF16(planes: planes, planeStride: stride, at: at, count: count, into: d)
            case .f16: ByteShuffle.gatherF16(planes: planes, planeStride: stride, at: at, count: count, into: d)
            case .f32: ByteShuffle.gatherF32(planes: planes, planeStride: stride, at: at, count: count, into: d)
            case .q8: Q8Decoder.gather(planes, layout: q8!, first: at / hidden, count: count / hidden, into: d)
            }
        }
    }

    /// Values exactly as stored — the little-endian bit patterns of the stored dtype (f32, f16, or
    /// bf16 as 16-bit words), no conversion — layer-major (selected layers in the order given) ×
    /// tokens × hidden, into a buffer of exactly that many elements × the dtype width. For
    /// converters that keep the stored dtype (HDF5 export). Decodes only the overlapping blocks,
    /// with every check `readFloat` makes.
    public func readStored(_ index: Int, layers: [Int]? = nil, tokens: Range<Int>? = nil, into: UnsafeMutableRawBufferPointer) throws {
        guard !metadata.dtype.isLossy else {
            throw StrataError(
                .invalidArgument,
                "dtype \(metadata.dtype.rawValue) has no per-value stored form (int8 codes with per-vector scales and outliers); read float32 values instead",
                path: path, record: index)
        }
        let width = metadata.dtype.byteWidth
        guard into.count % width == 0 else {
            throw StrataError(
                .invalidArgument, "output buffer of \(into.count) bytes is not a whole number of \(width)-byte values", path: path,
                record: index)
        }
        guard let out = into.baseAddress else {
            return try decodeSelection(index, layers: layers, tokens: tokens, outputElements: 0) { _, _, _, _, _, _ in }
        }
        let outAddress = UInt(bitPattern: out)
        try decodeSelection(index, layers: layers, tokens: tokens, outputElements: into.count / width) {
            planes, stride, at, count, element, _ in
            let d = UnsafeMutableRawPointer(bitPattern: outAddress)! + element * width
            ByteShuffle.unshuffle(planes: planes, planeStride: stride, at: at, count: count, width: width, into: d)
        }
    }

    /// The shared core of `readFloat` and `readStored`: checks the selection, decodes every block that
    /// overlaps it (on all cores for large reads) and hands each overlapping row run to `emit` as
    /// (planes, plane stride, first source element, element count, first output element, q8 layout).
    private func decodeSelection(
        _ index: Int, layers: [Int]?, tokens: Range<Int>?, outputElements: Int,
        emit: @escaping (UnsafePointer<UInt8>, Int, Int, Int, Int, Q8Layout?) -> Void
    ) throws {
        let e = try entry(index)
        let nTokens = e.tokenIDs.count
        let hidden = metadata.hidden
        let layerList = layers ?? Array(0..<metadata.layers.count)
        for l in layerList where l < 0 || l >= metadata.layers.count {
            throw StrataError(
                .invalidArgument, "layer position \(l) is out of range 0..<\(metadata.layers.count)", path: path, record: index,
                recordID: e.id)
        }
        let range = tokens ?? 0..<nTokens
        guard range.lowerBound >= 0, range.upperBound <= nTokens else {
            throw StrataError(.invalidArgument, "token range \(range) is outside 0..<\(nTokens)", path: path, record: index, recordID: e.id)
        }
        let expected = layerList.count * range.count * hidden
        guard outputElements == expected else {
            throw StrataError(
                .invalidArgument, "output buffer holds \(outputElements) values, expected \(expected)", path: path, record: index,
                recordID: e.id)
        }
        guard expected > 0 else { return }

        // Which blocks overlap, and for each, which (output layer position, block layer) pairs it serves.
        var jobs: [(block: Int, pairs: [(out: Int, layer: Int)])] = []
        for (b, ref) in e.blocks.enumerated() {
            let t0 = max(ref.tokenStart, range.lowerBound), t1 = min(ref.tokenStart + ref.tokenCount, range.upperBound)
            guard t0 < t1 else { continue }
            var pairs: [(out: Int, layer: Int)] = []
            for (j, l) in layerList.enumerated() where l >= ref.layerStart && l < ref.layerStart + ref.layerCount {
                pairs.append((j, l - ref.layerStart))
            }
            if !pairs.isEmpty { jobs.append((b, pairs)) }
        }
        let rawTotal = jobs.reduce(0) { $0 + e.blocks[$1.block].rawSize }
        let work: (Int) throws -> Void = { k in
            let job = jobs[k]
            let ref = e.blocks[job.block]
            let t0 = max(ref.tokenStart, range.lowerBound), t1 = min(ref.tokenStart + ref.tokenCount, range.upperBound)
            try self.decodeBlock(record: index, entry: e, block: job.block) { planes, n, q8 in
                for pair in job.pairs {
                    let src = (pair.layer * ref.tokenCount + (t0 - ref.tokenStart)) * hidden
                    emit(planes, n, src, (t1 - t0) * hidden, (pair.out * range.count + (t0 - range.lowerBound)) * hidden, q8)
                }
            }
        }
        if jobs.count > 1 && rawTotal >= parallelThresholdBytes {
            let failures = FailureCollector()
            DispatchQueue.concurrentPerform(iterations: jobs.count) { k in
                do { try work(k) } catch { failures.record(k, error) }
            }
            if let first = failures.first { throw first }
        } else {
            for k in 0..<jobs.count { try work(k) }
        }
    }

    /// Reads block `block` of a record (header + payload) into `ws.stored` and checks the header against
    /// the record entry and the shard metadata, the payload against its checksum, and a zstd payload's
    /// frame header against spec/FORMAT.md §5 (one frame, no dictionary, declared size = raw size) —
    /// so a block is checked the same way whether it is decoded or copied as stored.
    private func loadBlock(record: Int, entry e: RecordEntry, block: Int, into ws: DecodeWorkspace) throws -> BlockHeader {
        let ref = e.blocks[block]
        let storedTotal = BlockHeader.size + ref.storedSize
        ws.reserveStored(storedTotal)
        try file.read(into: ws.stored.baseAddress!, count: storedTotal, at: ref.offset)
        let headerBytes = Array(UnsafeRawBufferPointer(rebasing: ws.stored[0..<BlockHeader.size]))
        let h = try BlockHeader.decode(headerBytes)
        guard h.recordOrdinal == record, h.idHash == recordIDHash(e.id), h.layerStart == ref.layerStart, h.layerCount == ref.layerCount,
            h.tokenStart == ref.tokenStart, h.tokenCount == ref.tokenCount, h.storedSize == ref.storedSize, h.rawSize == ref.rawSize,
            h.payloadCRC == ref.payloadCRC
        else {
            throw StrataError(.corrupt, "block header does not match the record entry's reference to it")
        }
        guard h.hidden == metadata.hidden, h.dtype == metadata.dtype else {
            throw StrataError(.corrupt, "block hidden size or dtype differs from the shard metadata")
        }
        let payload = UnsafeRawBufferPointer(start: ws.stored.baseAddress! + BlockHeader.size, count: h.storedSize)
        guard CRC32C.checksum(payload) == h.payloadCRC else { throw StrataError(.corrupt, "block payload checksum mismatch") }
        if h.codec == BlockHeader.codecZstd { try ZstdDecompressor.checkFrame(payload, expectedContentSize: h.rawSize) }
        return h
    }

    /// Reads block `block` of a record, checks it (`loadBlock`), decompresses it, and hands the byte
    /// planes (and element count, and for q8 the section layout, checked by `Q8Decoder.check`) to `use`.
    func decodeBlock(record: Int, entry e: RecordEntry, block: Int, _ use: (UnsafePointer<UInt8>, Int, Q8Layout?) throws -> Void) throws {
        let ws = try workspaces.take()
        defer { workspaces.give(ws) }
        do {
            let h = try loadBlock(record: record, entry: e, block: block, into: ws)
            let payload = UnsafeRawBufferPointer(start: ws.stored.baseAddress! + BlockHeader.size, count: h.storedSize)
            let n = h.elementCount
            var planes: UnsafePointer<UInt8>
            if h.codec == BlockHeader.codecZstd {
                // `loadBlock` checked that the frame declares exactly the header's raw size, before any
                // buffer of that size exists.
                ws.reserveRaw(h.rawSize)
                try ws.decompressor.decompress(payload, into: UnsafeMutableRawBufferPointer(start: ws.raw.baseAddress, count: h.rawSize))
                planes = UnsafePointer(ws.raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            } else {
                planes = payload.baseAddress!.assumingMemoryBound(to: UInt8.self)
            }
            let q8 = h.q8Layout
            if !h.shuffled {
                ws.reserveSpare(h.rawSize)
                let spare = ws.spare.baseAddress!.assumingMemoryBound(to: UInt8.self)
                if let q8 {
                    Q8Decoder.shuffle(planes, layout: q8, into: spare)
                } else {
                    ByteShuffle.shuffle(planes, elements: n, width: h.dtype.byteWidth, into: spare)
                }
                planes = UnsafePointer(spare)
            }
            if let q8, let problem = Q8Decoder.check(planes, layout: q8) { throw StrataError(.corrupt, problem) }
            lock.lock()
            blocksDecodedCounter += 1
            lock.unlock()
            try use(planes, n, q8)
        } catch let err as StrataError {
            throw err.located(path: path, record: record, recordID: e.id, block: block, offset: e.blocks[block].offset)
        }
    }

    /// Block `block` of a loaded record as stored (checked, not decompressed).
    func storedBlock(record: Int, entry e: RecordEntry, block: Int) throws -> (BlockHeader, [UInt8]) {
        let ws = try workspaces.take()
        defer { workspaces.give(ws) }
        do {
            let h = try loadBlock(record: record, entry: e, block: block, into: ws)
            return (h, Array(UnsafeRawBufferPointer(start: ws.stored.baseAddress! + BlockHeader.size, count: h.storedSize)))
        } catch let err as StrataError {
            throw err.located(path: path, record: record, recordID: e.id, block: block, offset: e.blocks[block].offset)
        }
    }
}

/// Collects errors thrown by concurrent block decodes; the one with the lowest block order wins.
final class FailureCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [(Int, Error)] = []

    func record(_ k: Int, _ error: Error) {
        lock.lock()
        failures.append((k, error))
        lock.unlock()
    }

    var first: Error? { failures.min { $0.0 < $1.0 }?.1 }
}
