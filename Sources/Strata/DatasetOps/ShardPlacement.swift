import Foundation
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How `strata merge` brings a shard file into the output directory. Shard bytes are never
/// re-encoded: a shard already inside the directory is referenced where it is; otherwise it is
/// hard-linked (same file system), moved, or copied byte for byte.
public enum ShardPlacementMode: String, Sendable, CaseIterable {
    /// Hard link, falling back to a byte copy across file systems.
    case link
    /// Byte copy (the inputs stay untouched and independent).
    case copy
    /// rename(2), falling back to copy + unlink across file systems.
    case move
}

/// What happened to one shard.
public enum ShardPlacementAction: String, Sendable {
    case referenced, linked, copied, moved
}

enum ShardPlacement {
    /// Places `source` at `destination` (which must not exist) according to `mode`; the file
    /// appears under its final name only once complete (copies go through a temporary name).
    static func place(_ source: String, at destination: String, mode: ShardPlacementMode) throws -> ShardPlacementAction {
        switch mode {
        case .link:
            if link(source, destination) == 0 { return .linked }
            let code = errno
            guard code == EXDEV || code == EPERM || code == EMLINK || code == ENOTSUP else {
                throw DatasetOpsError.io(path: destination, operation: "hard-link \(source)", errno: code)
            }
            try copy(source, to: destination)
            return .copied
        case .copy:
            try copy(source, to: destination)
            return .copied
        case .move:
            if rename(source, destination) == 0 { return .moved }
            let code = errno
            guard code == EXDEV else { throw DatasetOpsError.io(path: destination, operation: "move \(source)", errno: code) }
            try copy(source, to: destination)
            guard unlink(source) == 0 else { throw DatasetOpsError.io(path: source, operation: "remove after copying", errno: errno) }
            return .moved
        }
    }

    /// Byte copy through a temporary file (`FileReplacement`'s partial name; a killed copy's is removed
    /// by the next), fsynced, then renamed into place. The caller holds the directory's `OutputLock`.
    static func copy(_ source: String, to destination: String) throws {
        let input = try DatasetOpsError.performing("open", on: source) {
            try SystemPackage.FileDescriptor.open(FilePath(source), .readOnly, options: [.closeOnExec])
        }
        defer { try? input.close() }
        FileReplacement.removeStalePartials(of: destination)
        let temporary = FileReplacement.partialPath(of: destination, pid: getpid())
        let output = try DatasetOpsError.performing("create", on: temporary) {
            try SystemPackage.FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                permissions: FilePermissions(rawValue: 0o644))
        }
        var done = false
        defer {
            try? output.close()
            if !done { unlink(temporary) }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let got = try DatasetOpsError.performing("read", on: source) { try input.read(into: buffer) }
            if got == 0 { break }
            _ = try DatasetOpsError.performing("write", on: temporary) {
                try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            }
        }
        guard fsync(output.rawValue) == 0 else { throw DatasetOpsError.io(path: temporary, operation: "fsync", errno: errno) }
        guard rename(temporary, destination) == 0 else {
            throw DatasetOpsError.io(path: destination, operation: "rename into place", errno: errno)
        }
        done = true
    }
}
