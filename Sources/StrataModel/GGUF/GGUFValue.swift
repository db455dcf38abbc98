/// One GGUF metadata value. Arrays may nest (an array of arrays) and hold any value type.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array([GGUFValue])

    /// The value as an `Int` when it is an integer type that fits; nil otherwise.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a float or an integer type; nil otherwise.
    public var float: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        case .uint64(let v): return Double(v)
        default: return int.map(Double.init)
        }
    }

    /// The string, when this is a string value.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements, when this is an array value.
    public var array: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The flag, when this is a bool value.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The GGUF wire type code of this value (`gguf_type` in ggml).
    public var typeCode: UInt32 {
        switch self {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    /// The GGUF name of the value's type, for messages ("uint32", "array", ...).
    public var typeName: String { GGUFValue.typeName(code: typeCode) }

    static func typeName(code: UInt32) -> String {
        switch code {
        case 0: return "uint8"
        case 1: return "int8"
        case 2: return "uint16"
        case 3: return "int16"
        case 4: return "uint32"
        case 5: return "int32"
        case 6: return "float32"
        case 7: return "bool"
        case 8: return "string"
        case 9: return "array"
        case 10: return "uint64"
        case 11: return "int64"
        case 12: return "float64"
        default: return "unknown(\(code))"
        }
    }
}

extension GGUFValue {
    /// A short human-readable rendering: scalars as-is, strings quoted (cut at `maxStringLength`),
    /// arrays with their first `maxElements` elements and their length, e.g. `[49152 × string: "!", "\"", …]`.
    public func summary(maxElements: Int = 4, maxStringLength: Int = 60) -> String {
        switch self {
        case .uint8(let v): return "\(v)"
        case .int8(let v): return "\(v)"
        case .uint16(let v): return "\(v)"
        case .int16(let v): return "\(v)"
        case .uint32(let v): return "\(v)"
        case .int32(let v): return "\(v)"
        case .uint64(let v): return "\(v)"
        case .int64(let v): return "\(v)"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let s):
            let escaped = s.prefix(maxStringLength).unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
            return "\"\(escaped)\(s.count > maxStringLength ? "…" : "")\""
        case .array(let elements):
            let type = elements.first?.typeName ?? "empty"
            let shown = elements.prefix(maxElements).map { $0.summary(maxElements: maxElements, maxStringLength: 20) }
            let more = elements.count > maxElements ? ", …" : ""
            return "[\(elements.count) × \(type): \(shown.joined(separator: ", "))\(more)]"
        }
    }
}
