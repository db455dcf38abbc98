import Foundation
import SystemPackage

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
        let file = try DatasetOpsError.performing("create", on: temporary) {
            try SystemPackage.FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                permissions: FilePermissions(rawValue: 0o644))
        }
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { try? file.close() }
            try contents { raw in
                _ = try DatasetOpsError.performing("write", on: temporary) { try file.writeAll(raw) }
            }
            guard fsync(file.rawValue) == 0 else { throw DatasetOpsError.io(path: temporary, operation: "fsync", errno: errno) }
        }
        guard rename(temporary, path) == 0 else { throw DatasetOpsError.io(path: path, operation: "rename into place", errno: errno) }
        renamed = true
        syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Flushes a directory entry change (a rename or a new file) to disk; best effort.
    public static func syncDirectory(_ directory: String) {
        guard let file = try? SystemPackage.FileDescriptor.open(FilePath(directory), .readOnly, options: [.directory, .closeOnExec]) else {
            return
        }
        _ = fsync(file.rawValue)
        try? file.close()
    }
}
