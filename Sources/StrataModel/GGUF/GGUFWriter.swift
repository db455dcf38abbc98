import Foundation
import StrataUtilities

/// Builds a small GGUF v3 file in memory: metadata of every value type plus tensors
/// (F32 and F16 from floats, or any type from raw pre-quantised bytes).
///
/// Meant for tests and tools (e.g. tiny random Llama models), not for multi-gigabyte
/// exports: the whole file is assembled in memory before it is written.
public struct GGUFWriter {
    /// Data alignment; recorded as `general.alignment` when it is not the default 32.
    public let alignment: Int
    private var entries: [(key: String, value: GGUFValue)] = []
    private var tensors: [(name: String, shape: [Int], type: GGMLType, bytes: [UInt8])] = []

    /// A writer whose tensors start at multiples of `alignment` (a power of two, default 32).
    public init(alignment: Int = 32) throws {
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError(.write, file: "", "alignment must be a positive power of two, got \(alignment)")
        }
        self.alignment = alignment
        if alignment != 32 { entries.append(("general.alignment", .uint32(UInt32(alignment)))) }
    }

    /// Adds a metadata key/value (keys keep the order they were added in). Replaces an existing key.
    public mutating func set(_ key: String, _ value: GGUFValue) throws {
        try GGUFWriter.validate(value, key: key)
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append((key, value))
        }
    }

    /// Adds a tensor from floats stored as `type` (`.f32` or `.f16`, the latter rounded to nearest even).
    /// `shape` is in ggml order (`shape[0]` fastest); `values` is row-major in that order.
    public mutating func addTensor(name: String, shape: [Int], values: [Float], type: GGMLType = .f32) throws {
        guard values.count == shape.reduce(1, *) else {
            throw GGUFError(.write, file: "", "tensor '\(name)': \(values.count) values do not fill shape \(shape)")
        }
        var bytes: [UInt8] = []
        switch type {
        case .f32:
            bytes.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        case .f16:
            bytes.reserveCapacity(values.count * 2)
            for v in values { withUnsafeBytes(of: HalfFloat.f32ToF16(v).littleEndian) { bytes.append(contentsOf: $0) } }
        default:
            throw GGUFError(
                .write, file: "", "tensor '\(name)': writing \(type.name) from floats is not supported (use F32 or F16, or raw bytes)")
        }
        try addTensor(name: name, shape: shape, type: type, rawBytes: bytes)
    }

    /// Adds a tensor whose data is already encoded as `type` (e.g. quantised blocks).
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, rawBytes: [UInt8]) throws {
        guard !tensors.contains(where: { $0.name == name }) else {
            throw GGUFError(.write, file: "", "tensor '\(name)' added twice")
        }
        guard (1...GGUFFile.maxDimensions).contains(shape.count), shape.allSatisfy({ $0 > 0 }) else {
            throw GGUFError(.write, file: "", "tensor '\(name)': shape \(shape) must have 1–\(GGUFFile.maxDimensions) positive dimensions")
        }
        guard shape[0] % type.blockSize == 0, let expected = type.byteCount(elements: shape.reduce(1, *)), expected == rawBytes.count else {
            throw GGUFError(.write, file: "", "tensor '\(name)': \(rawBytes.count) bytes do not match \(type.name) shape \(shape)")
        }
        tensors.append((name, shape, type, rawBytes))
    }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func putPayload(_ value: GGUFValue) {
            switch value {
            case .uint8(let v): put(v)
            case .int8(let v): put(v)
            case .uint16(let v): put(v)
            case .int16(let v): put(v)
            case .uint32(let v): put(v)
            case .int32(let v): put(v)
            case .uint64(let v): put(v)
            case .int64(let v): put(v)
            case .float32(let v): put(v.bitPattern)
            case .float64(let v): put(v.bitPattern)
            case .bool(let v): put(UInt8(v ? 1 : 0))
            case .string(let s): putString(s)
            case .array(let elements):
                put(elements.first?.typeCode ?? GGUFValue.uint8(0).typeCode)
                put(UInt64(elements.count))
                for element in elements { putPayload(element) }
            }
        }

        put(GGUFFile.magic)
        put(UInt32(3))
        put(UInt64(tensors.count))
        put(UInt64(entries.count))
        for (key, value) in entries {
            putString(key)
            put(value.typeCode)
            putPayload(value)
        }
        var offset = 0
        for tensor in tensors {
            putString(tensor.name)
            put(UInt32(tensor.shape.count))
            for dim in tensor.shape { put(UInt64(dim)) }
            put(tensor.type.rawValue)
            put(UInt64(offset))
            offset += padded(tensor.bytes.count)
        }
        out.append(contentsOf: repeatElement(0, count: padded(out.count) - out.count))
        for tensor in tensors {
            out.append(contentsOf: tensor.bytes)
            out.append(contentsOf: repeatElement(0, count: padded(tensor.bytes.count) - tensor.bytes.count))
        }
        return out
    }

    /// Writes the file atomically (temporary file, then rename) to `path`.
    public func write(to path: String) throws {
        do {
            try Data(serialized()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw GGUFError(.write, file: path, "cannot write: \(error.localizedDescription)")
        }
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Arrays must be homogeneous (same element type; nested arrays may differ inside).
    private static func validate(_ value: GGUFValue, key: String) throws {
        guard case .array(let elements) = value else { return }
        if let first = elements.first, elements.contains(where: { $0.typeCode != first.typeCode }) {
            throw GGUFError(.write, file: "", "metadata key '\(key)': array elements must all have one type (first is \(first.typeName))")
        }
        for element in elements { try validate(element, key: key) }
    }
}
