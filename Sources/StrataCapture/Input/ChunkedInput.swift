#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file read front to back in fixed-size chunks, so that memory stays bounded whatever the size of the
/// file or of any one line in it: callers keep the bytes they need and skip the rest.
final class ChunkedInput {
    static let defaultChunkBytes = 1 << 20

    let path: String
    private let fd: Int32
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// Unread bytes are `buffer[position..<filled]`.
    private var position = 0
    private var filled = 0
    private var reachedEnd = false

    init(path: String, chunkBytes: Int = ChunkedInput.defaultChunkBytes) throws {
        self.path = path
        var info = stat()
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TextInputError(path: path, row: nil, problem: "cannot read file: \(String(cString: strerror(errno)))") }
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else {
            _ = close(fd)
            throw TextInputError(path: path, row: nil, problem: "cannot read file: it is a directory")
        }
        buffer = .allocate(capacity: max(1, chunkBytes))
    }

    deinit {
        _ = close(fd)
        buffer.deallocate()
    }

    /// Reads the next chunk when every buffered byte is used; false at the end of the file.
    private func refill() throws -> Bool {
        if position < filled { return true }
        if reachedEnd { return false }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw TextInputError(path: path, row: nil, problem: "read failed: \(String(cString: strerror(errno)))")
            }
            position = 0
            filled = n
            if n == 0 { reachedEnd = true }
            return n > 0
        }
    }

    /// The next byte without consuming it; nil at the end of the file.
    @inline(__always)
    func peek() throws -> UInt8? {
        if position < filled { return buffer[position] }
        return try refill() ? buffer[position] : nil
    }

    /// Consumes the byte `peek` returned.
    @inline(__always)
    func advance() { position += 1 }

    /// One line of the file: its bytes up to (not including) "\n", or for a line longer than the limit
    /// only its length and first bytes.
    enum Line {
        case bytes([UInt8])
        case tooLong(byteCount: Int, head: [UInt8], blank: Bool)
    }

    /// The next line (a final line may lack "\n"; a "\r" before "\n" is dropped), or nil at the end of the
    /// file. A line longer than `limit` bytes is consumed without being kept: only its first `headBytes`
    /// bytes, its length and whether it holds only spaces and tabs are returned.
    func nextLine(limit: Int, headBytes: Int) throws -> Line? {
        guard try refill() else { return nil }
        var kept: [UInt8] = []
        var count = 0
        var tooLong = false
        var head: [UInt8] = []
        var blank = true
        while try refill() {
            let available = UnsafeBufferPointer(rebasing: buffer[position..<filled])
            let newline = memchr(available.baseAddress!, 0x0A, available.count)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(available.baseAddress!) }
            let segment = UnsafeBufferPointer(rebasing: available[..<(newline ?? available.count)])
            count += segment.count
            if !tooLong && count > limit {
                tooLong = true
                head = Array((kept + segment).prefix(headBytes))
                blank = kept.allSatisfy(Self.isBlank)
                kept = []
            }
            if tooLong {
                if blank { blank = segment.allSatisfy(Self.isBlank) }
            } else {
                kept.append(contentsOf: segment)
            }
            position += segment.count
            if newline != nil {
                position += 1
                break
            }
        }
        if tooLong {
            // The byte count includes a "\r" before "\n", which is not part of the line; it decides nothing.
            return .tooLong(byteCount: count, head: head, blank: blank)
        }
        if kept.last == 0x0D { kept.removeLast() }
        return .bytes(kept)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
}
