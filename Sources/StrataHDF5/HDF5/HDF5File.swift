import CHDF5

/// An open HDF5 file. Objects opened from it keep the file open until they are released too.
public final class HDF5File {
    let handle: HDF5Handle
    /// The path the file was opened or created with (used in error messages).
    public let path: String

    /// Opens an existing file, read-only unless `writable`.
    public init(openingAt path: String, writable: Bool = false) throws {
        HDF5Library.prepare()
        self.path = path
        // H5Fis_hdf5 tells "not an HDF5 file" apart from other failures with a clear message.
        let isHDF5 = H5Fis_hdf5(path)
        if isHDF5 == 0 {
            throw HDF5Error(file: path, operation: "open file", reason: "not an HDF5 file (no HDF5 signature found)")
        }
        let flags = writable ? HDF5Library.accessReadWrite : HDF5Library.accessReadOnly
        let fapl = try HDF5Handle(
            H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g), closer: H5Pclose, file: path, object: nil,
            operation: "create file access properties")
        if !writable { try Self.disableFileLocking(fapl, path: path) }
        handle = try HDF5Handle(
            H5Fopen(path, flags, fapl.id), closer: H5Fclose,
            file: path, object: nil, operation: "open file")
    }

    /// Creates a new file, replacing any existing file at `path`.
    /// Strata writes new files under a private temporary name and renames them into place when
    /// complete (see `HDF5Exporter`), so no other process can see a file while it is written.
    public init(creatingAt path: String) throws {
        HDF5Library.prepare()
        self.path = path
        let fapl = try HDF5Handle(
            H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g), closer: H5Pclose, file: path, object: nil,
            operation: "create file access properties")
        try Self.disableFileLocking(fapl, path: path)
        handle = try HDF5Handle(
            H5Fcreate(path, HDF5Library.accessTruncate, HDF5Library.defaultID, fapl.id),
            closer: H5Fclose, file: path, object: nil, operation: "create file")
    }

    /// Turns HDF5's `flock` off for a file. HDF5's lock only guards SWMR readers and writers, which
    /// Strata never uses; it fails on file systems without flock (NFS); and a flock lives on the
    /// open file description, which every child process forked while the file is open shares until
    /// that child execs or exits — so on a loaded machine a lock could outlive `H5Fclose` by
    /// milliseconds and refuse the next open of the same file ("Unable to lock file", the flaky
    /// round-trip test: export, then import of the same path, while other tests spawn processes).
    private static func disableFileLocking(_ fapl: HDF5Handle, path: String) throws {
        try checkHDF5(H5Pset_file_locking(fapl.id, false, true), file: path, object: nil, "disable file locking")
    }

    /// The root group `/`.
    public func root() throws -> HDF5Group {
        try HDF5Group(opening: "/", in: handle.id, file: path, parentPath: "")
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        HDF5Library.prepare()
        try checkHDF5(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), file: path, object: nil, "flush file")
    }
}
