#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thin owner of a POSIX file descriptor: positioned reads (thread-safe `pread`), appends,
/// truncation and fsync, each turning errno into a `StrataError` that names the path.
final class FileDescriptor: @unchecked Sendable {
    let fd: Int32
    let path: String
    private var closed = false

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { if !closed { _ = systemClose(fd) } }

    /// Opens a regular file for reading; anything else (a FIFO, a device, a directory) is refused
    /// without blocking (see `regularFile`).
    static func openForReading(_ path: String) throws -> FileDescriptor {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw errnoError("cannot open for reading", path: path) }
        return try regularFile(fd, path: path)
    }

    /// Opens for reading and writing; `create` makes a new file (failing if `exclusive` and it exists) and
    /// `truncate` empties an existing one.
    static func openForWriting(_ path: String, create: Bool, truncate: Bool) throws -> FileDescriptor {
        var flags = O_RDWR | O_CLOEXEC | O_NONBLOCK
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw errnoError("cannot open for writing", path: path) }
        return try regularFile(fd, path: path)
    }

    /// Keeps `fd` if it is a regular file (and clears the `O_NONBLOCK` it was opened with), else
    /// closes it and throws. Opening with `O_NONBLOCK` is what keeps a FIFO from blocking the open
    /// itself (a reader would otherwise wait forever for a writer); a read from a FIFO would block too.
    private static func regularFile(_ fd: Int32, path: String) throws -> FileDescriptor {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = errnoError("fstat failed", path: path)
            _ = systemClose(fd)
            throw error
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            _ = systemClose(fd)
            throw StrataError(.io, "not a regular file (\(fileTypeName(st.st_mode))); a shard, manifest or dataset file must be a regular file", path: path)
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return FileDescriptor(fd: fd, path: path)
    }

    /// "a FIFO", "a directory", … for a `st_mode`.
    static func fileTypeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "an unknown kind of file"
        }
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        if systemClose(fd) != 0 { throw Self.errnoError("close failed", path: path) }
    }

    /// Current size of the file in bytes.
    func size() throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Self.errnoError("fstat failed", path: path) }
        return Int(st.st_size)
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`; a short read means the file ends early.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.errnoError("read failed", path: path, offset: offset + done)
            }
            if n == 0 {
                throw StrataError(.truncated, "file ends after \(offset + done) bytes, \(count - done) bytes short of a \(count)-byte read",
                                  path: path, offset: offset)
            }
            done += n
        }
    }

    func read(count: Int, at offset: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count, at: offset) }
        return bytes
    }

    /// Writes all of `buffer` at `offset`.
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.errnoError("write failed", path: path, offset: offset + done)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    func truncate(to length: Int) throws {
        guard ftruncate(fd, off_t(length)) == 0 else { throw Self.errnoError("truncate failed", path: path, offset: length) }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw Self.errnoError("fsync failed", path: path) }
    }

    static func errnoError(_ what: String, path: String, offset: Int? = nil) -> StrataError {
        let code = errno
        let reason = String(cString: strerror(code))
        return StrataError(.io, "\(what): \(reason) (errno \(code))", path: path, offset: offset)
    }
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
