import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file replacement that a crash cannot leave half-written: the bytes go to a
/// temporary file in the same directory, which is fsynced, renamed over the target
/// (atomic on POSIX file systems) and the directory fsynced. A reader sees the old file or
/// the new one, never a mix.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { append in try data.withUnsafeBytes { try append($0) } }
    }

    /// As `write(_:to:)`, with the bytes produced piece by piece: `contents` calls `append` as often
    /// as it likes, so a large file never has to exist in memory as a whole.
    public static func write(to path: String, contents: (_ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let directory = PathSyntax.parent(of: path)
        let name = PathSyntax.lastComponent(of: path)
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DatasetOpsError.io(path: temporary, operation: "create", errno: errno) }
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            try contents { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw DatasetOpsError.io(path: temporary, operation: "write", errno: errno)
                    }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw DatasetOpsError.io(path: temporary, operation: "fsync", errno: errno) }
        }
        guard rename(temporary, path) == 0 else { throw DatasetOpsError.io(path: path, operation: "rename into place", errno: errno) }
        renamed = true
        syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Flushes a directory entry change (a rename or a new file) to disk; best effort.
    public static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
