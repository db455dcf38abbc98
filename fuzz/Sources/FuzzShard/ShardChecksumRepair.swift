import Strata

/// Rewrites the CRC32C fields of a shard-shaped byte string (spec/FORMAT.md §9) so that a mutated
/// structure gets past its checksum and reaches the parser behind it. Walks the layout as a recovery
/// scan does — header, metadata, then block / record / index entries by tag, then the trailer — and
/// stops where a structure no longer fits. Block payload checksums are also patched into the block
/// references of the record entry that follows them. Not a validator: anything it cannot follow it
/// leaves as it is.
enum ShardChecksumRepair {
    private static let magic: [UInt8] = [0x89, 0x53, 0x54, 0x52, 0x41, 0x54, 0x41, 0x0A]
    private static let trailerMagic = Array("STRATEND".utf8)
    private static let blockTag: UInt32 = 0x4B4C_4253 // SBLK
    private static let recordTag: UInt32 = 0x4345_5253 // SREC
    private static let indexTag: UInt32 = 0x5844_4953 // SIDX

    static func repair(_ bytes: inout [UInt8]) {
        let size = bytes.count
        guard size >= 32, Array(bytes[0..<8]) == magic else { return }
        if let metadataLength = int(bytes, 16, 8), metadataLength <= size - 32 {
            setCRC(&bytes, at: 24, over: 32..<(32 + metadataLength))
            setCRC(&bytes, at: 28, over: 0..<28)
            repairBody(&bytes, from: 32 + metadataLength)
        } else {
            setCRC(&bytes, at: 28, over: 0..<28)
        }
        if size >= 64, Array(bytes[(size - 32)..<(size - 24)]) == trailerMagic {
            setCRC(&bytes, at: size - 4, over: (size - 32)..<(size - 4))
        }
    }

    private static func repairBody(_ bytes: inout [UInt8], from start: Int) {
        let size = bytes.count
        var offset = start
        var payloadCRCs: [Int: UInt32] = [:] // block header offset -> payload CRC, for the next record entry
        while offset <= size - 8 {
            switch UInt32(int(bytes, offset, 4)!) {
            case blockTag:
                guard offset <= size - 72, let stored = int(bytes, offset + 56, 8), stored <= size - offset - 72 else { return }
                let payload = (offset + 72)..<(offset + 72 + stored)
                payloadCRCs[offset] = setCRC(&bytes, at: offset + 64, over: payload)
                setCRC(&bytes, at: offset + 68, over: offset..<(offset + 68))
                offset = payload.upperBound
            case recordTag:
                guard offset <= size - 48, let bodyLength = int(bytes, offset + 24, 8), bodyLength <= size - offset - 48 else { return }
                let body = (offset + 48)..<(offset + 48 + bodyLength)
                patchBlockReferences(&bytes, body: body, payloadCRCs: payloadCRCs)
                payloadCRCs.removeAll()
                setCRC(&bytes, at: offset + 32, over: body)
                setCRC(&bytes, at: offset + 44, over: offset..<(offset + 44))
                offset = body.upperBound
            case indexTag:
                guard offset <= size - 32, let bodyLength = int(bytes, offset + 16, 8), bodyLength <= size - offset - 32 else { return }
                setCRC(&bytes, at: offset + 24, over: (offset + 32)..<(offset + 32 + bodyLength))
                setCRC(&bytes, at: offset + 28, over: offset..<(offset + 28))
                return
            default:
                return
            }
        }
    }

    /// Sets the payload CRC of each block reference in a record body (§6) to that of the block it points at.
    private static func patchBlockReferences(_ bytes: inout [UInt8], body: Range<Int>, payloadCRCs: [Int: UInt32]) {
        var cursor = body.lowerBound
        func skip(_ n: Int?) -> Bool {
            guard let n, n >= 0, n <= body.upperBound - cursor else { return false }
            cursor += n
            return true
        }
        func u32() -> Int? {
            guard cursor <= body.upperBound - 4 else { return nil }
            defer { cursor += 4 }
            return int(bytes, cursor, 4)
        }
        func string() -> Bool { skip(u32()) }
        guard string(), let tokens = u32(), let labels = u32(), skip(labels * 8), skip(tokens * 4),
            cursor < body.upperBound
        else { return }
        let hasText = bytes[cursor]
        cursor += 1
        if hasText == 1 { guard string() else { return } }
        guard let metadataCount = u32() else { return }
        for _ in 0..<metadataCount { guard string(), string() else { return } }
        guard let auxiliaryCount = u32() else { return }
        for _ in 0..<auxiliaryCount {
            guard string(), let count = u32(), skip(count * 4) else { return }
        }
        guard let blockCount = u32() else { return }
        for _ in 0..<blockCount {
            guard cursor <= body.upperBound - 48 else { return }
            if let offset = int(bytes, cursor, 8), let crc = payloadCRCs[offset] { put32(&bytes, cursor + 40, crc) }
            cursor += 48
        }
    }

    /// A little-endian unsigned integer of `width` bytes at `offset`, nil when it does not fit an Int.
    private static func int(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> Int? {
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value <= UInt64(Int.max) ? Int(value) : nil
    }

    @discardableResult
    private static func setCRC(_ bytes: inout [UInt8], at field: Int, over range: Range<Int>) -> UInt32 {
        let crc = CRC32C.checksum(bytes[range])
        put32(&bytes, field, crc)
        return crc
    }

    private static func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
}
