import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A thin owner of a POSIX file descriptor: positioned reads (thread-safe `pread`), positioned writes,
/// truncation and fsync, each turning errno into a `StrataError` that names the path. The calls go
/// through swift-system's `FileDescriptor`, which retries a call that a signal interrupts (`EINTR`),
/// so no loop here has to.
final class FileDescriptor: @unchecked Sendable {
    private let system: SystemPackage.FileDescriptor
    let path: String
    private var closed = false

    /// The raw descriptor, for the few calls swift-system does not wrap (`fstat`, `fsync`, `flock`).
    var fd: Int32 { system.rawValue }

    private init(_ system: SystemPackage.FileDescriptor, path: String) {
        self.system = system
        self.path = path
    }

    deinit { if !closed { try? system.close() } }

    /// Opens a regular file for reading; anything else (a FIFO, a device, a directory) is refused
    /// without blocking (see `regularFile`).
    static func openForReading(_ path: String) throws -> FileDescriptor {
        let opened: SystemPackage.FileDescriptor
        do {
            opened = try .open(FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch let code as Errno {
            throw error("cannot open for reading", code, path: path)
        }
        return try regularFile(opened, path: path)
    }

    /// Opens for reading and writing; `create` makes a new file and `truncate` empties an existing one.
    static func openForWriting(_ path: String, create: Bool, truncate: Bool) throws -> FileDescriptor {
        var options: SystemPackage.FileDescriptor.OpenOptions = [.closeOnExec, .nonBlocking]
        if create { options.insert(.create) }
        if truncate { options.insert(.truncate) }
        let opened: SystemPackage.FileDescriptor
        do {
            opened = try .open(FilePath(path), .readWrite, options: options, permissions: FilePermissions(rawValue: 0o644))
        } catch let code as Errno {
            throw error("cannot open for writing", code, path: path)
        }
        return try regularFile(opened, path: path)
    }

    /// Keeps `fd` if it is a regular file (and clears the `O_NONBLOCK` it was opened with), else
    /// closes it and throws. Opening with `O_NONBLOCK` is what keeps a FIFO from blocking the open
    /// itself (a reader would otherwise wait forever for a writer); a read from a FIFO would block too.
    private static func regularFile(_ opened: SystemPackage.FileDescriptor, path: String) throws -> FileDescriptor {
        let fd = opened.rawValue
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let error = errnoError("fstat failed", path: path)
            try? opened.close()
            throw error
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            try? opened.close()
            throw StrataError(
                .io, "not a regular file (\(fileTypeName(st.st_mode))); a shard, manifest or dataset file must be a regular file",
                path: path)
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return FileDescriptor(opened, path: path)
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
        do { try system.close() } catch let code as Errno { throw Self.error("close failed", code, path: path) }
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
            let n: Int
            do {
                n = try system.read(
                    fromAbsoluteOffset: Int64(offset + done),
                    into: UnsafeMutableRawBufferPointer(start: buffer + done, count: count - done))
            } catch let code as Errno {
                throw Self.error("read failed", code, path: path, offset: offset + done)
            }
            if n == 0 {
                throw StrataError(
                    .truncated, "file ends after \(offset + done) bytes, \(count - done) bytes short of a \(count)-byte read",
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

    /// Writes all of `buffer` at `offset` (a failure names the offset the write began at).
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws {
        do {
            try system.writeAll(toAbsoluteOffset: Int64(offset), buffer)
        } catch let code as Errno {
            throw Self.error("write failed", code, path: path, offset: offset)
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    func truncate(to length: Int) throws {
        do { try system.resize(to: Int64(length)) } catch let code as Errno {
            throw Self.error("truncate failed", code, path: path, offset: length)
        }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw Self.errnoError("fsync failed", path: path) }
    }

    /// The `StrataError` for the C call that just failed (reads `errno`).
    static func errnoError(_ what: String, path: String, offset: Int? = nil) -> StrataError {
        error(what, Errno(rawValue: errno), path: path, offset: offset)
    }

    static func error(_ what: String, _ code: Errno, path: String, offset: Int? = nil) -> StrataError {
        let reason = String(cString: strerror(code.rawValue))
        return StrataError(.io, "\(what): \(reason) (errno \(code.rawValue))", path: path, offset: offset)
    }
}
