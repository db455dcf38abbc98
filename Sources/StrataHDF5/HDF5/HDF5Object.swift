import CHDF5

/// What a named HDF5 object (group or dataset) shares: an owned id, the file it lives in,
/// its full path inside that file, and attributes.
public protocol HDF5Object: AnyObject {
    var objectID: hid_t { get }
    /// The file path, for error messages.
    var filePath: String { get }
    /// Full path inside the file, e.g. `/examples/0/hidden`.
    var path: String { get }
}

extension HDF5Object {
    func fail(_ operation: String) -> HDF5Error {
        HDF5Error.fromStack(file: filePath, object: path, operation: operation)
    }

    func check(_ status: herr_t, _ operation: @autoclosure () -> String) throws {
        if status < 0 { throw fail(operation()) }
    }

    // MARK: Attributes

    public func hasAttribute(_ name: String) -> Bool {
        HDF5Library.prepare()
        return H5Aexists(objectID, name) > 0
    }

    /// Writes (or replaces) a scalar variable-length UTF-8 string attribute.
    public func setAttribute(_ name: String, string value: String) throws {
        let type = try HDF5Datatype.variableLengthString()
        let space = try HDF5Dataspace(scalar: ())
        let attribute = try createAttribute(name, type: type, space: space)
        let status: herr_t = value.withCString { cString in
            var pointer: UnsafePointer<CChar>? = cString
            return H5Awrite(attribute.id, type.id, &pointer)
        }
        try check(status, "write attribute '\(name)'")
    }

    /// Writes (or replaces) a one-dimensional int64 attribute (a scalar when `scalar` is set).
    public func setAttribute(_ name: String, integers values: [Int64], scalar: Bool = false) throws {
        let type = try HDF5ElementType.int64.makeDatatype()
        let space = scalar ? try HDF5Dataspace(scalar: ()) : try HDF5Dataspace(shape: [values.count])
        let attribute = try createAttribute(name, type: type, space: space)
        let status = values.withUnsafeBytes { H5Awrite(attribute.id, type.id, $0.baseAddress) }
        try check(status, "write attribute '\(name)'")
    }

    private func createAttribute(_ name: String, type: HDF5Datatype, space: HDF5Dataspace) throws -> HDF5Handle {
        HDF5Library.prepare()
        if H5Aexists(objectID, name) > 0 {
            try check(H5Adelete(objectID, name), "replace attribute '\(name)'")
        }
        return try HDF5Handle(
            H5Acreate2(objectID, name, type.id, space.id, HDF5Library.defaultID, HDF5Library.defaultID),
            closer: H5Aclose, file: filePath, object: path, operation: "create attribute '\(name)'")
    }

    private func openAttribute(_ name: String) throws -> HDF5Handle? {
        HDF5Library.prepare()
        guard H5Aexists(objectID, name) > 0 else { return nil }
        return try HDF5Handle(
            H5Aopen(objectID, name, HDF5Library.defaultID), closer: H5Aclose,
            file: filePath, object: path, operation: "open attribute '\(name)'")
    }

    /// A string attribute (variable- or fixed-length, scalar or first element), or nil when absent.
    /// Throws when the attribute exists but is not a string.
    public func stringAttribute(_ name: String) throws -> String? {
        guard let attribute = try openAttribute(name) else { return nil }
        let type = try HDF5Datatype(owning: H5Aget_type(attribute.id))
        guard type.isString else {
            throw HDF5Error(
                file: filePath, object: path, operation: "read attribute '\(name)'",
                reason: "expected a string, found \(type.summary)")
        }
        let space = try HDF5Dataspace(owning: H5Aget_space(attribute.id))
        let count = max(1, try space.elementCount())
        if type.isVariableLengthString {
            let memType = try HDF5Datatype.variableLengthString()
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try check(H5Aread(attribute.id, memType.id, &pointers), "read attribute '\(name)'")
            defer { _ = H5Dvlen_reclaim(memType.id, space.id, HDF5Library.defaultID, &pointers) }
            return pointers[0].map { String(cString: $0) } ?? ""
        }
        let width = type.size
        var bytes = [UInt8](repeating: 0, count: width * count)
        try check(H5Aread(attribute.id, type.id, &bytes), "read attribute '\(name)'")
        return decodeFixedString(bytes[0..<width])
    }

    /// An integer attribute (any integer type, scalar or array), or nil when absent.
    public func integerAttribute(_ name: String) throws -> [Int64]? {
        guard let attribute = try openAttribute(name) else { return nil }
        let type = try HDF5Datatype(owning: H5Aget_type(attribute.id))
        guard let element = type.elementType, element.isInteger else {
            throw HDF5Error(
                file: filePath, object: path, operation: "read attribute '\(name)'",
                reason: "expected integers, found \(type.summary)")
        }
        let space = try HDF5Dataspace(owning: H5Aget_space(attribute.id))
        let count = max(1, try space.elementCount())
        var values = [Int64](repeating: 0, count: count)
        let memType = try HDF5ElementType.int64.makeDatatype()
        try check(H5Aread(attribute.id, memType.id, &values), "read attribute '\(name)'")
        return values
    }
}

/// A fixed-length HDF5 string: bytes up to the first NUL, trailing space padding removed.
func decodeFixedString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let content = bytes.prefix { $0 != 0 }
    var text = String(decoding: content, as: UTF8.self)
    while text.hasSuffix(" ") { text.removeLast() }
    return text
}
