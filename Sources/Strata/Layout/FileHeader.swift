/// The fixed 32-byte shard header (spec/FORMAT.md §File header). The metadata JSON follows it.
struct FileHeader: Equatable {
    static let magic: [UInt8] = [0x89, 0x53, 0x54, 0x52, 0x41, 0x54, 0x41, 0x0A] // "\x89STRATA\n"
    static let size = 32
    static let majorVersion: UInt16 = 1
    /// The newest minor version this implementation reads and writes (1.1 added dtype q8); a shard
    /// says the oldest version that can read it (`StrataDType.formatMinorVersion`).
    static let minorVersion: UInt16 = 1

    var major: UInt16 = FileHeader.majorVersion
    var minor: UInt16 = 0
    var flags: UInt32 = 0
    var metadataLength: Int
    var metadataCRC: UInt32

    /// Offset of the first entry (block or record) after the header and metadata.
    var bodyStart: Int { FileHeader.size + metadataLength }

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: FileHeader.size)
        w.raw(FileHeader.magic)
        w.u16(major)
        w.u16(minor)
        w.u32(flags)
        w.u64(UInt64(metadataLength))
        w.u32(metadataCRC)
        w.crcOfAll()
        return w.bytes
    }

    /// Parses and validates the header bytes; rejects a foreign file, an unknown major version, a bad CRC.
    static func decode(_ bytes: [UInt8]) throws -> FileHeader {
        guard bytes.count >= size else {
            throw StrataError(.notAShard, "file is \(bytes.count) bytes, shorter than the 32-byte Strata header", offset: 0)
        }
        guard Array(bytes[0..<8]) == magic else { throw StrataError(.notAShard, "not a Strata shard (bad magic)", offset: 0) }
        var r = ByteReader(Array(bytes[0..<size]), what: "file header", position: 8)
        let major = try r.u16()
        let minor = try r.u16()
        let flags = try r.u32()
        let metaLen = try r.u64()
        let metaCRC = try r.u32()
        let crc = try r.u32()
        guard crc == CRC32C.checksum(bytes[0..<28]) else { throw StrataError(.corrupt, "file header checksum mismatch", offset: 0) }
        guard major == majorVersion else {
            throw StrataError(.notAShard, "unsupported format major version \(major) (this reader supports \(majorVersion))", offset: 8)
        }
        guard metaLen <= UInt64(StrataLimits.maxMetadataBytes) else {
            throw StrataError(.corrupt, "metadata length \(metaLen) exceeds the limit \(StrataLimits.maxMetadataBytes)", offset: 16)
        }
        return FileHeader(major: major, minor: minor, flags: flags, metadataLength: Int(metaLen), metadataCRC: metaCRC)
    }
}
