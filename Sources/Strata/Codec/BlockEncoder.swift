/// Turns one block's values (a layer range × token range of a record) into a stored payload:
/// convert to the stored dtype, byte-shuffle into planes, compress as one zstd frame (kept
/// uncompressed when zstd does not shrink it). Owns its scratch buffers; one per writer.
final class BlockEncoder {
    private let compressor: ZstdCompressor
    /// Created on first use, to check pre-encoded zstd payloads.
    private var decompressor: ZstdDecompressor?
    private var planes: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
    private var chunk: UnsafeMutableRawBufferPointer
    private static let chunkElements = 8192
    /// Header followed by the payload of the last encoded block.
    private(set) var output: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)

    /// Encodes q8 blocks (nil unless the shard's dtype is q8).
    private let quantizer: Q8Quantizer?
    /// f32 copy of a q8 tile.
    private var tileValues: UnsafeMutableBufferPointer<Float> = .init(start: nil, count: 0)
    /// Per-vector relative errors of the last block encoded from values (empty for lossless dtypes).
    private(set) var lastErrors: ArraySlice<Float> = []

    /// `maxRelError`: the q8 error bound (nil for the lossless dtypes).
    init(level: Int, maxRelError: Double? = nil) throws {
        compressor = try ZstdCompressor(level: level)
        chunk = .allocate(byteCount: Self.chunkElements * 4, alignment: 64)
        quantizer = maxRelError.map { Q8Quantizer(maxRelError: $0) }
    }

    deinit {
        planes.deallocate()
        output.deallocate()
        chunk.deallocate()
        tileValues.deallocate()
    }

    private func ensure(_ buffer: inout UnsafeMutableRawBufferPointer, _ count: Int) {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(count, 4096), alignment: 64)
        }
    }

    /// Encodes the tile of `values` (layer-major L × T × H) and returns the header and the number of
    /// bytes (header + payload) now in `output`. `origin` (layer, token) is where the block lies in
    /// its record when `values` hold only the tile (default: the tile's own start).
    func encode(
        values: HiddenStatesBuffer, tokens: Int, hidden: Int, stored: StrataDType, tile: BlockPlan.Tile,
        recordOrdinal: Int, idHash: UInt64, origin: (layer: Int, token: Int)? = nil
    ) throws -> (BlockHeader, Int) {
        if stored == .q8 {
            return try encodeQ8(
                values: values, tokens: tokens, hidden: hidden, tile: tile, recordOrdinal: recordOrdinal,
                idHash: idHash, origin: origin ?? (tile.layerStart, tile.tokenStart))
        }
        lastErrors = []
        let width = stored.byteWidth
        let n = tile.layerCount * tile.tokenCount * hidden
        let rawSize = n * width
        ensure(&planes, rawSize)
        let planeBase = planes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let run = tile.tokenCount * hidden
        for l in 0..<tile.layerCount {
            let src = ((tile.layerStart + l) * tokens + tile.tokenStart) * hidden
            let dst = l * run
            var done = 0
            while done < run {
                let c = min(Self.chunkElements, run - done)
                scatter(values, from: src + done, count: c, stored: stored, planes: planeBase, planeStride: n, at: dst + done)
                done += c
            }
        }
        return try finish(
            rawSize: rawSize, planeSizes: Array(repeating: n, count: width), stored: stored, hidden: hidden, tile: tile,
            recordOrdinal: recordOrdinal, idHash: idHash, origin: origin ?? (tile.layerStart, tile.tokenStart))
    }

    /// Encodes a q8 tile: converts it to f32, lets the quantizer choose k and write the sections
    /// (shuffled) into `planes`, then compresses. A vector the quantizer refuses is named by its
    /// layer position and token in the record.
    private func encodeQ8(
        values: HiddenStatesBuffer, tokens: Int, hidden: Int, tile: BlockPlan.Tile,
        recordOrdinal: Int, idHash: UInt64, origin: (layer: Int, token: Int)
    ) throws -> (BlockHeader, Int) {
        let layout = try quantize(values: values, tokens: tokens, hidden: hidden, tile: tile, origin: origin)
        return try finish(
            rawSize: layout.rawSize, planeSizes: layout.planeSizes, stored: .q8, hidden: hidden, tile: tile,
            recordOrdinal: recordOrdinal, idHash: idHash, origin: origin)
    }

    /// The quantizing half of `encodeQ8`: the tile's q8 sections land in `planes` and its per-vector
    /// errors in `lastErrors` (`Q8ErrorSurvey` stops here, without compressing).
    func quantize(
        values: HiddenStatesBuffer, tokens: Int, hidden: Int, tile: BlockPlan.Tile,
        origin: (layer: Int, token: Int)
    ) throws -> Q8Layout {
        guard let quantizer else { throw StrataError(.invalidArgument, "q8 block encoder was created without an error bound") }
        let vectors = tile.layerCount * tile.tokenCount
        if tileValues.count < vectors * hidden {
            tileValues.deallocate()
            tileValues = .allocate(capacity: max(vectors * hidden, 1024))
        }
        let run = tile.tokenCount * hidden
        for l in 0..<tile.layerCount {
            let src = ((tile.layerStart + l) * tokens + tile.tokenStart) * hidden
            values.copyFloats(from: src, count: run, into: tileValues.baseAddress! + l * run)
        }
        let layout: Q8Layout
        do {
            layout = try quantizer.encode(tileValues.baseAddress!, vectors: vectors, hidden: hidden) { size in
                ensure(&planes, size)
                return planes.baseAddress!
            }
        } catch {
            let layer = origin.layer + error.vector / tile.tokenCount, token = origin.token + error.vector % tile.tokenCount
            throw StrataError(.invalidArgument, "layer position \(layer), token \(token): \(error.describe(bound: quantizer.maxRelError))")
        }
        lastErrors = quantizer.errors[0..<vectors]
        return layout
    }

    /// Compresses the `rawSize` shuffled bytes in `planes` (zstd blocks flushed at each plane's end;
    /// kept raw when zstd does not shrink them), checksums the payload and builds the header.
    private func finish(
        rawSize: Int, planeSizes: [Int], stored: StrataDType, hidden: Int, tile: BlockPlan.Tile,
        recordOrdinal: Int, idHash: UInt64, origin: (layer: Int, token: Int)
    ) throws -> (BlockHeader, Int) {
        ensure(&output, BlockHeader.size + ZstdCompressor.bound(rawSize))
        let payload = UnsafeMutableRawBufferPointer(rebasing: output[BlockHeader.size...])
        let rawView = UnsafeRawBufferPointer(start: planes.baseAddress, count: rawSize)
        var codec = BlockHeader.codecZstd
        var storedSize = try compressor.compress(rawView, planeSizes: planeSizes, into: payload)
        if storedSize >= rawSize {
            codec = BlockHeader.codecNone
            storedSize = rawSize
            payload.baseAddress!.copyMemory(from: rawView.baseAddress!, byteCount: rawSize)
        }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: payload.baseAddress, count: storedSize))
        let header = BlockHeader(
            recordOrdinal: recordOrdinal, idHash: idHash, layerStart: origin.layer,
            layerCount: tile.layerCount, tokenStart: origin.token, tokenCount: tile.tokenCount,
            hidden: hidden, dtype: stored, codec: codec, shuffled: true, rawSize: rawSize, storedSize: storedSize,
            payloadCRC: crc)
        header.encode().withUnsafeBytes { output.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: BlockHeader.size) }
        return (header, BlockHeader.size + storedSize)
    }

    /// Checks a payload encoded elsewhere and returns its header. A zstd payload must be one frame
    /// declaring `rawSize` bytes and occupying the whole payload, and it is decoded once into scratch
    /// memory: the CRC computed here would otherwise vouch for bytes nobody has checked
    /// (spec/HDF5.md §5.1). A payload copied from another Strata shard (`sourceCRC` set) is vouched for
    /// by that shard's verified checksum instead: it must match it, and is not decoded.
    /// Shapes, dtype and sizes were checked by the caller.
    func check(_ block: StoredBlock, recordOrdinal: Int, idHash: UInt64) throws -> BlockHeader {
        let codec = block.codec == "zstd" ? BlockHeader.codecZstd : BlockHeader.codecNone
        let crc = try block.payload.withUnsafeBytes { payload -> UInt32 in
            if let expected = block.sourceCRC {
                let crc = CRC32C.checksum(payload)
                guard crc == expected else {
                    throw StrataError(
                        .corrupt,
                        "payload CRC32C \(String(format: "%08x", crc)) differs from the checksum recorded with it at its source (\(String(format: "%08x", expected)))"
                    )
                }
                return crc
            }
            if codec == BlockHeader.codecZstd {
                if decompressor == nil { decompressor = try ZstdDecompressor() }
                ensure(&planes, block.rawSize)
                try decompressor!.decompress(payload, into: UnsafeMutableRawBufferPointer(rebasing: planes[0..<block.rawSize]))
            }
            return CRC32C.checksum(payload)
        }
        return BlockHeader(
            recordOrdinal: recordOrdinal, idHash: idHash, layerStart: block.layerStart, layerCount: block.layerCount,
            tokenStart: block.tokenStart, tokenCount: block.tokenCount, hidden: block.hidden, dtype: block.dtype,
            codec: codec, shuffled: block.shuffled, rawSize: block.rawSize, storedSize: block.payload.count,
            payloadCRC: crc)
    }

    /// Puts `header` alone into `output` (its payload is written from elsewhere); returns its length.
    func stage(_ header: BlockHeader) -> Int {
        lastErrors = []
        ensure(&output, BlockHeader.size)
        header.encode().withUnsafeBytes { output.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: BlockHeader.size) }
        return BlockHeader.size
    }

    /// Converts `count` input elements starting at `from` to the stored dtype and scatters them into the planes.
    private func scatter(
        _ values: HiddenStatesBuffer, from: Int, count: Int, stored: StrataDType,
        planes: UnsafeMutablePointer<UInt8>, planeStride: Int, at: Int
    ) {
        let tmp16 = chunk.baseAddress!.assumingMemoryBound(to: UInt16.self)
        let tmp32 = chunk.baseAddress!.assumingMemoryBound(to: UInt32.self)
        switch (values, stored) {
        case (.f32(let b), .f32):
            UnsafeRawPointer(b.baseAddress! + from).withMemoryRebound(to: UInt32.self, capacity: count) {
                ByteShuffle.scatter32($0, count: count, planes: planes, planeStride: planeStride, at: at)
            }
        case (.f32(let b), .bf16):
            StrataConvert.f32ToBF16(
                UnsafeBufferPointer(start: b.baseAddress! + from, count: count), UnsafeMutableBufferPointer(start: tmp16, count: count))
            ByteShuffle.scatter16(tmp16, count: count, planes: planes, planeStride: planeStride, at: at)
        case (.f32(let b), .f16):
            StrataConvert.f32ToF16(
                UnsafeBufferPointer(start: b.baseAddress! + from, count: count), UnsafeMutableBufferPointer(start: tmp16, count: count))
            ByteShuffle.scatter16(tmp16, count: count, planes: planes, planeStride: planeStride, at: at)
        case (.f16(let b), .f16), (.bf16(let b), .bf16):
            ByteShuffle.scatter16(b.baseAddress! + from, count: count, planes: planes, planeStride: planeStride, at: at)
        case (.f16(let b), .f32):
            let s = b.baseAddress! + from
            for i in 0..<count { tmp32[i] = StrataConvert.f16ToF32(s[i]).bitPattern }
            ByteShuffle.scatter32(tmp32, count: count, planes: planes, planeStride: planeStride, at: at)
        case (.bf16(let b), .f32):
            let s = b.baseAddress! + from
            for i in 0..<count { tmp32[i] = UInt32(s[i]) << 16 }
            ByteShuffle.scatter32(tmp32, count: count, planes: planes, planeStride: planeStride, at: at)
        case (.f16(let b), .bf16):
            let s = b.baseAddress! + from
            for i in 0..<count { tmp16[i] = StrataConvert.f32ToBF16(StrataConvert.f16ToF32(s[i])) }
            ByteShuffle.scatter16(tmp16, count: count, planes: planes, planeStride: planeStride, at: at)
        case (_, .q8):
            preconditionFailure("q8 blocks are encoded by encodeQ8, never scattered")
        case (.bf16(let b), .f16):
            let s = b.baseAddress! + from
            for i in 0..<count { tmp16[i] = StrataConvert.f32ToF16(StrataConvert.bf16ToF32(s[i])) }
            ByteShuffle.scatter16(tmp16, count: count, planes: planes, planeStride: planeStride, at: at)
        }
    }
}
