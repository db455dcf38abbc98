/// A bounds-checked little-endian reader over a GGUF file's mapped bytes.
///
/// Every read checks the remaining length first, so a corrupt count or length
/// produces a `GGUFError(.truncated)` naming what was being read and where,
/// never a read past the mapping.
struct GGUFByteCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    /// Fails unless `count` more bytes are available.
    func require(_ count: Int, for what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw GGUFError(
                .truncated, file: file,
                "\(what()) at byte \(offset) needs \(count) bytes but only \(remaining) remain (file size \(bytes.count))")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, for: what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    /// Reads a u64 count and checks it is at most `limit` (what could possibly fit in the rest of the file).
    mutating func readCount(_ what: @autoclosure () -> String, minimumBytesEach: Int) throws -> Int {
        let start = offset
        let raw = try read(UInt64.self, what())
        let limit = minimumBytesEach > 0 ? remaining / minimumBytesEach : Int.max
        guard raw <= UInt64(limit) else {
            throw GGUFError(
                .truncated, file: file,
                "\(what()) at byte \(start) is \(raw), but the \(remaining) bytes left in the file can hold at most \(limit)")
        }
        return Int(raw)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = try readCount("length of \(what())", minimumBytesEach: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        guard let string = String(validatingUTF8Bytes: slice) else {
            throw GGUFError(.malformed, file: file, "\(what()) at byte \(start) is not valid UTF-8")
        }
        offset += length
        return string
    }
}

extension String {
    /// Decodes UTF-8 bytes, returning nil (instead of repairing) when they are invalid.
    init?(validatingUTF8Bytes bytes: UnsafeRawBufferPointer) {
        let units = bytes.assumingMemoryBound(to: UInt8.self)
        guard let decoded = String(validating: units, as: UTF8.self) else { return nil }
        self = decoded
    }
}
