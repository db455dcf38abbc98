#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which file an open descriptor refers to: device and inode. Two paths name the same file exactly
/// when their identities are equal, whatever their spelling (`./a.strata`, `a.strata`), symbolic links
/// or hard links.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
}

extension FileDescriptor {
    /// The identity of the open file (`fstat`).
    func identity() throws -> FileIdentity {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Self.errnoError("fstat failed", path: path) }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
