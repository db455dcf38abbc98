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
        handle = try HDF5Handle(H5Fopen(path, flags, HDF5Library.defaultID), closer: H5Fclose,
                                file: path, object: nil, operation: "open file")
    }

    /// Creates a new file, replacing any existing file at `path`.
    public init(creatingAt path: String) throws {
        HDF5Library.prepare()
        self.path = path
        handle = try HDF5Handle(
            H5Fcreate(path, HDF5Library.accessTruncate, HDF5Library.defaultID, HDF5Library.defaultID),
            closer: H5Fclose, file: path, object: nil, operation: "create file")
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
