import CHDF5

/// What a link in a group points to.
public enum HDF5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}

/// An HDF5 group: lists, opens and creates its members.
public final class HDF5Group: HDF5Object {
    let handle: HDF5Handle
    public let filePath: String
    public let path: String
    public var objectID: hid_t { handle.id }

    init(opening name: String, in parent: hid_t, file: String, parentPath: String) throws {
        HDF5Library.prepare()
        filePath = file
        path = joinPath(parentPath, name)
        handle = try HDF5Handle(
            H5Gopen2(parent, name, HDF5Library.defaultID), closer: H5Gclose,
            file: file, object: path, operation: "open group")
    }

    init(creating name: String, in parent: hid_t, file: String, parentPath: String) throws {
        HDF5Library.prepare()
        filePath = file
        path = joinPath(parentPath, name)
        handle = try HDF5Handle(
            H5Gcreate2(parent, name, HDF5Library.defaultID, HDF5Library.defaultID, HDF5Library.defaultID),
            closer: H5Gclose, file: file, object: path, operation: "create group")
    }

    /// Member names in HDF5's name order.
    public func memberNames() throws -> [String] {
        HDF5Library.prepare()
        var info = H5G_info_t()
        try check(H5Gget_info(objectID, &info), "list group members")
        var names: [String] = []
        names.reserveCapacity(Int(info.nlinks))
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, HDF5Library.defaultID)
            if length < 0 { throw fail("read member name \(index)") }
            var buffer = [CChar](repeating: 0, count: length + 1)
            let status = H5Lget_name_by_idx(
                objectID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1,
                HDF5Library.defaultID)
            if status < 0 { throw fail("read member name \(index)") }
            names.append(String(cString: buffer))
        }
        return names
    }

    /// Whether a member of that name exists and what it is (nil when absent or a dangling link).
    public func kind(of name: String) -> HDF5ObjectKind? {
        HDF5Library.prepare()
        guard H5Lexists(objectID, name, HDF5Library.defaultID) > 0 else { return nil }
        let object = H5Oopen(objectID, name, HDF5Library.defaultID)
        guard object >= 0 else {
            _ = HDF5Library.drainErrorStack()
            return nil
        }
        defer { _ = H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    public func openGroup(_ name: String) throws -> HDF5Group {
        try HDF5Group(opening: name, in: objectID, file: filePath, parentPath: path)
    }

    public func createGroup(_ name: String) throws -> HDF5Group {
        try HDF5Group(creating: name, in: objectID, file: filePath, parentPath: path)
    }

    /// Opens a dataset. `chunkCacheBytes` sizes HDF5's per-dataset cache of decompressed
    /// chunks (default 1 MiB); reads that revisit a chunk need it to hold a whole chunk row.
    public func openDataset(_ name: String, chunkCacheBytes: Int? = nil) throws -> HDF5Dataset {
        try HDF5Dataset(opening: name, in: self, chunkCacheBytes: chunkCacheBytes)
    }

    /// Creates a numeric dataset of `shape`; chunked with `filters` when `chunk` is given.
    public func createDataset(
        _ name: String, type: HDF5ElementType, shape: [Int], chunk: [Int]? = nil,
        filters: [HDF5Filter] = []
    ) throws -> HDF5Dataset {
        let datatype = try type.makeDatatype()
        return try HDF5Dataset(creating: name, in: self, type: datatype, shape: shape, chunk: chunk, filters: filters)
    }

    /// Creates a one-dimensional variable-length UTF-8 string dataset holding `values`.
    @discardableResult
    public func createStringDataset(_ name: String, values: [String]) throws -> HDF5Dataset {
        let type = try HDF5Datatype.variableLengthString()
        let dataset = try HDF5Dataset(creating: name, in: self, type: type, shape: [values.count], chunk: nil, filters: [])
        try dataset.writeStrings(values)
        return dataset
    }
}

func joinPath(_ parent: String, _ name: String) -> String {
    if name.hasPrefix("/") { return name }
    if parent.isEmpty || parent == "/" { return "/" + name }
    return parent + "/" + name
}
