/// Reads little-endian values from a byte buffer; every read is bounds-checked and throws
/// `StrataError` (kind `.corrupt`) when the buffer is too short, so hostile lengths cannot overrun.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position: Int
    /// What is being parsed, for error messages ("record entry", "index").
    let what: String

    init(_ bytes: [UInt8], what: String, position: Int = 0) {
        self.bytes = bytes
        self.what = what
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    private mutating func take(_ n: Int) throws -> Int {
        guard n >= 0, n <= remaining else {
            throw StrataError(.corrupt, "\(what): needs \(n) more bytes at byte \(position) but only \(remaining) remain")
        }
        let start = position
        position += n
        return start
    }

    mutating func u8() throws -> UInt8 { bytes[try take(1)] }
    mutating func u16() throws -> UInt16 {
        let p = try take(2)
        return UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
    }
    mutating func u32() throws -> UInt32 {
        let p = try take(4)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[p + i]) << (8 * UInt32(i)) }
        return v
    }
    mutating func u64() throws -> UInt64 {
        let p = try take(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[p + i]) << (8 * UInt64(i)) }
        return v
    }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    /// A u64 that must fit in a non-negative Int no larger than `limit`.
    mutating func count64(_ field: String, limit: Int = Int.max) throws -> Int {
        let v = try u64()
        guard v <= UInt64(limit) else { throw StrataError(.corrupt, "\(what): \(field) = \(v) exceeds the limit \(limit)") }
        return Int(v)
    }
    /// A u32 that must be at most `limit`.
    mutating func count32(_ field: String, limit: Int) throws -> Int {
        let v = Int(try u32())
        guard v <= limit else { throw StrataError(.corrupt, "\(what): \(field) = \(v) exceeds the limit \(limit)") }
        return v
    }
    /// A reserved u8 field, which must be 0 (spec/FORMAT.md §1).
    mutating func reserved8(_ field: String) throws {
        let v = try u8()
        guard v == 0 else { throw StrataError(.corrupt, "\(what): reserved \(field) is \(v), must be 0") }
    }
    /// A reserved u32 field, which must be 0 (spec/FORMAT.md §1).
    mutating func reserved32(_ field: String) throws {
        let v = try u32()
        guard v == 0 else { throw StrataError(.corrupt, "\(what): reserved \(field) is \(v), must be 0") }
    }
    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        let p = try take(n)
        return bytes[p..<(p + n)]
    }
    /// A u32 length followed by that many UTF-8 bytes; invalid UTF-8 is corruption.
    mutating func string(_ field: String) throws -> String {
        let n = try count32("\(field) length", limit: remaining)
        let slice = try bytes(n)
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw StrataError(.corrupt, "\(what): \(field) is not valid UTF-8")
        }
        return s
    }
}
