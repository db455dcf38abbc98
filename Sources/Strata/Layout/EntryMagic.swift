import StrataUtilities

/// Four-byte tags that start every entry after the metadata (stored as little-endian u32).
enum EntryMagic {
    static let block: UInt32 = tag("SBLK")
    static let record: UInt32 = tag("SREC")
    static let index: UInt32 = tag("SIDX")

    private static func tag(_ s: String) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in s.utf8.enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
}

/// 64-bit FNV-1a of a record id's UTF-8 bytes, carried in block and record headers so a scan can tie
/// blocks to their record without parsing the record body.
func recordIDHash(_ id: String) -> UInt64 {
    FNV1a64.hash(id)
}
