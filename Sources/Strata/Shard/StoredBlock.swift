/// One block of a record as stored: its ranges, codec and (checksum-verified) payload bytes. Lets a
/// converter pass compressed blocks through without recompressing (e.g. into an HDF5 chunk written with
/// `H5Dwrite_chunk`: a shuffled zstd block is exactly what HDF5's shuffle + zstd (32015) filters store).
public struct StoredBlock: Sendable, Equatable {
    public var layerStart: Int
    public var layerCount: Int
    public var tokenStart: Int
    public var tokenCount: Int
    public var hidden: Int
    public var dtype: StrataDType
    /// "zstd" or "none".
    public var codec: String
    /// True when the payload is byte-shuffled by element width.
    public var shuffled: Bool
    /// Uncompressed size in bytes.
    public var rawSize: Int
    /// The payload (a single zstd frame when codec == "zstd").
    public var payload: [UInt8]
    /// The CRC32C recorded for this payload where it came from: the Strata shard it was read from
    /// (`ShardReader.storedBlock` sets it after verifying it), or the checksums `strata export-hdf5`
    /// keeps next to the chunks it copied. `ShardWriter.append(_:blocks:)` then checks the payload
    /// against it instead of decoding it: copying costs a CRC, not a decompression, and any changed
    /// byte is caught. Nil when nothing vouches for the payload (it is then decoded once to check it).
    public var sourceCRC: UInt32?

    /// The largest payload a block of `rawSize` bytes may store: zstd's bound (spec/FORMAT.md §5),
    /// which also covers an uncompressed payload of exactly `rawSize` bytes.
    public static func maxPayloadBytes(rawSize: Int) -> Int { ZstdCompressor.bound(rawSize) }

    public init(
        layerStart: Int, layerCount: Int, tokenStart: Int, tokenCount: Int, hidden: Int, dtype: StrataDType,
        codec: String, shuffled: Bool, rawSize: Int, payload: [UInt8], sourceCRC: UInt32? = nil
    ) {
        self.layerStart = layerStart
        self.layerCount = layerCount
        self.tokenStart = tokenStart
        self.tokenCount = tokenCount
        self.hidden = hidden
        self.dtype = dtype
        self.codec = codec
        self.shuffled = shuffled
        self.rawSize = rawSize
        self.payload = payload
        self.sourceCRC = sourceCRC
    }
}

extension ShardReader {
    /// Number of blocks of record `index`.
    public func blockCount(_ index: Int) throws -> Int { try entry(index).blocks.count }

    /// Block `block` of record `index` as stored, after checking its header against the record entry,
    /// its payload checksum and, for zstd, its frame header (spec/FORMAT.md §5; nothing is decompressed).
    public func storedBlock(_ index: Int, block: Int) throws -> StoredBlock {
        let e = try entry(index)
        guard block >= 0 && block < e.blocks.count else {
            throw StrataError(
                .invalidArgument, "block \(block) is out of range 0..<\(e.blocks.count)", path: path, record: index, recordID: e.id)
        }
        let ref = e.blocks[block]
        let (header, bytes) = try storedBlock(record: index, entry: e, block: block)
        return StoredBlock(
            layerStart: ref.layerStart, layerCount: ref.layerCount, tokenStart: ref.tokenStart, tokenCount: ref.tokenCount,
            hidden: header.hidden, dtype: header.dtype, codec: header.codec == BlockHeader.codecZstd ? "zstd" : "none",
            shuffled: header.shuffled, rawSize: header.rawSize, payload: bytes, sourceCRC: header.payloadCRC)
    }
}
