import CHDF5

/// The numeric element types Strata reads and writes, as they are stored in an HDF5 file.
///
/// bf16 has no HDF5 1.10 type: Strata stores it as `uint16` and says so in an attribute
/// (see spec/HDF5.md), so it is not a separate case here.
public enum HDF5ElementType: String, Sendable, Equatable, CaseIterable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64
    case float16, float32, float64
    case bool

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .int16, .uint16, .float16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    public var isFloat: Bool { self == .float16 || self == .float32 || self == .float64 }
    public var isInteger: Bool { !isFloat }

    /// A new little-endian HDF5 datatype for this element type (the file type Strata writes,
    /// and the memory type for reading raw bytes on a little-endian machine).
    func makeDatatype() throws -> HDF5Datatype {
        HDF5Library.prepare()
        let base: hid_t
        switch self {
        case .int8: base = H5T_STD_I8LE_g
        case .uint8: base = H5T_STD_U8LE_g
        case .int16: base = H5T_STD_I16LE_g
        case .uint16: base = H5T_STD_U16LE_g
        case .int32: base = H5T_STD_I32LE_g
        case .uint32: base = H5T_STD_U32LE_g
        case .int64: base = H5T_STD_I64LE_g
        case .uint64: base = H5T_STD_U64LE_g
        case .float32: base = H5T_IEEE_F32LE_g
        case .float64: base = H5T_IEEE_F64LE_g
        case .bool: base = H5T_STD_I8LE_g
        case .float16: base = H5T_IEEE_F32LE_g
        }
        let type = try HDF5Datatype(copying: base)
        if self == .float16 {
            // IEEE binary16 as h5py / numpy 'f2' define it: sign bit 15, exponent bits 10-14
            // (bias 15), mantissa bits 0-9.
            try type.check(H5Tset_fields(type.id, 15, 10, 5, 0, 10), "define float16 fields")
            try type.check(H5Tset_size(type.id, 2), "define float16 size")
            try type.check(H5Tset_ebias(type.id, 15), "define float16 exponent bias")
        }
        return type
    }
}

/// One HDF5 datatype (owned id) with the questions Strata asks of it.
public final class HDF5Datatype {
    let handle: HDF5Handle
    var id: hid_t { handle.id }

    init(owning id: hid_t, operation: String = "open datatype") throws {
        handle = try HDF5Handle(id, closer: H5Tclose, file: nil, object: nil, operation: operation)
    }

    convenience init(copying base: hid_t) throws {
        HDF5Library.prepare()
        try self.init(owning: H5Tcopy(base), operation: "copy datatype")
    }

    func check(_ status: herr_t, _ operation: String) throws {
        try checkHDF5(status, file: nil, object: nil, operation)
    }

    /// A variable-length UTF-8 string type (what h5py reads back as `str`).
    static func variableLengthString() throws -> HDF5Datatype {
        let type = try HDF5Datatype(copying: H5T_C_S1_g)
        try type.check(H5Tset_size(type.id, HDF5Library.variableSize), "make variable-length string type")
        try type.check(H5Tset_cset(type.id, H5T_CSET_UTF8), "set string encoding")
        return type
    }

    /// The HDF5 type class (integer, float, string, enum, ...).
    var typeClass: H5T_class_t { H5Tget_class(id) }
    /// Size of one element in bytes (for variable-length strings: the size of a pointer).
    var size: Int { H5Tget_size(id) }
    var isVariableLengthString: Bool { H5Tis_variable_str(id) > 0 }
    var isString: Bool { typeClass == H5T_STRING }
    /// Little-endian byte order (the order of Strata's stored values).
    var isLittleEndian: Bool { H5Tget_order(id) == H5T_ORDER_LE }

    /// The numeric element type, or nil for strings, compounds, opaque and other types.
    /// An h5py `bool` (enum over int8 with FALSE/TRUE) reads as `.bool`.
    var elementType: HDF5ElementType? {
        let size = self.size
        switch typeClass {
        case H5T_INTEGER:
            let signed = H5Tget_sign(id) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .int8
            case (1, false): return .uint8
            case (2, true): return .int16
            case (2, false): return .uint16
            case (4, true): return .int32
            case (4, false): return .uint32
            case (8, true): return .int64
            case (8, false): return .uint64
            default: return nil
            }
        case H5T_FLOAT:
            switch size {
            case 2: return .float16
            case 4: return .float32
            case 8: return .float64
            default: return nil
            }
        case H5T_ENUM:
            if size == 1, H5Tget_nmembers(id) == 2 { return .bool }
            return nil
        default:
            return nil
        }
    }

    /// Words for an error message, e.g. "float64", "variable-length string", "compound".
    var summary: String {
        if let elementType { return elementType.rawValue }
        switch typeClass {
        case H5T_STRING: return isVariableLengthString ? "variable-length string" : "fixed-length string (\(size) bytes)"
        case H5T_COMPOUND: return "compound (\(size) bytes)"
        case H5T_OPAQUE: return "opaque (\(size) bytes)"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_ARRAY: return "array type"
        case H5T_ENUM: return "enum"
        case H5T_REFERENCE: return "reference"
        default: return "unsupported type (\(size) bytes)"
        }
    }
}
