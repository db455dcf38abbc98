/// A GGUF model file (version 2 or 3), memory-mapped and validated.
///
/// Opening parses the header, all metadata and the tensor directory, checking every
/// count, length and offset against the file size, so a truncated or corrupt file
/// fails here with an error naming the file, key or tensor. Tensor data stays in the
/// mapping until `rawBytes(of:)` or `dequantize(_:)` touches it.
public final class GGUFFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The GGUF format version (2 or 3).
    public let version: Int
    /// Every metadata key/value, in any type (nested arrays included).
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order (the dictionary has no order).
    public let metadataKeys: [String]
    /// The tensor directory, in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute file offset where the tensor data section starts.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public var fileSize: Int { mapping.bytes.count }

    private let mapping: GGUFMapping
    private let tensorIndex: [String: Int]

    /// The magic number at the start of every GGUF file ("GGUF" little-endian).
    static let magic: UInt32 = 0x4655_4747
    /// Deepest array nesting accepted in metadata (guards against stack exhaustion).
    static let maxArrayDepth = 8
    /// Largest `general.alignment` accepted (keeps offset arithmetic far from overflow).
    static let maxAlignment = 1 << 30
    /// Most dimensions a ggml tensor can have.
    static let maxDimensions = 4

    /// Opens, maps and validates the GGUF file at `path`.
    public convenience init(path: String) throws {
        try self.init(path: path, mapping: GGUFMapping(path: path))
    }

    /// Parses and validates GGUF bytes held in memory; `name` stands in for the path in errors.
    public convenience init(bytes: [UInt8], name: String) throws {
        try self.init(path: name, mapping: GGUFMapping(copying: bytes))
    }

    private init(path: String, mapping: GGUFMapping) throws {
        self.path = path
        self.mapping = mapping
        var cursor = GGUFByteCursor(bytes: mapping.bytes, file: path)

        guard mapping.bytes.count >= 4 else {
            throw GGUFError(.badMagic, file: path, "file is \(mapping.bytes.count) bytes, too small to be GGUF")
        }
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == GGUFFile.magic else {
            throw GGUFError(
                .badMagic, file: path,
                "not a GGUF file (magic 0x\(String(magic, radix: 16)), expected 0x\(String(GGUFFile.magic, radix: 16)) \"GGUF\")")
        }
        let rawVersion = try cursor.read(UInt32.self, "version")
        guard rawVersion == 2 || rawVersion == 3 else {
            let hint =
                rawVersion.byteSwapped == 2 || rawVersion.byteSwapped == 3 ? " (a big-endian file; only little-endian is supported)" : ""
            throw GGUFError(.unsupportedVersion, file: path, "GGUF version \(rawVersion) is not supported (supported: 2, 3)\(hint)")
        }
        version = Int(rawVersion)

        // Each tensor-info needs at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes,
        // each key/value at least 8 (key length) + 4 (type) + 1 byte.
        let tensorCount = try cursor.readCount("tensor count", minimumBytesEach: 24)
        let keyValueCount = try cursor.readCount("metadata key/value count", minimumBytesEach: 13)

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        keys.reserveCapacity(keyValueCount)
        for index in 0..<keyValueCount {
            let key = try cursor.readString("metadata key #\(index)")
            let typeCode = try cursor.read(UInt32.self, "type of metadata key '\(key)'")
            let value = try GGUFFile.readValue(typeCode: typeCode, from: &cursor, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError(.malformed, file: path, "metadata key '\(key)' appears twice")
            }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a & (a - 1) == 0, a <= GGUFFile.maxAlignment else {
                throw GGUFError(
                    .malformed, file: path,
                    "metadata key 'general.alignment' must be a power of two up to \(GGUFFile.maxAlignment), got \(value.summary())")
            }
            alignment = a
        }
        self.alignment = alignment

        // Tensor directory: relative offsets first, checked against the data section once its start is known.
        var relative: [(name: String, shape: [Int], type: GGMLType, offset: Int, bytes: Int)] = []
        relative.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let name = try cursor.readString("name of tensor #\(i)")
            let dimCount = try cursor.read(UInt32.self, "dimension count of tensor '\(name)'")
            guard dimCount <= GGUFFile.maxDimensions else {
                throw GGUFError(
                    .malformed, file: path, "tensor '\(name)' has \(dimCount) dimensions (at most \(GGUFFile.maxDimensions) allowed)")
            }
            var shape: [Int] = []
            var elements = 1
            for d in 0..<Int(dimCount) {
                let dim = try cursor.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard dim <= UInt64(Int.max), case let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim)), !overflow
                else {
                    throw GGUFError(.malformed, file: path, "tensor '\(name)' has an impossibly large shape (dimension \(d) = \(dim))")
                }
                shape.append(Int(dim))
                elements = product
            }
            let typeCode = try cursor.read(UInt32.self, "type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: typeCode) else {
                throw GGUFError(.malformed, file: path, "tensor '\(name)' has unknown ggml type \(typeCode)")
            }
            let rawOffset = try cursor.read(UInt64.self, "data offset of tensor '\(name)'")
            guard (shape.first ?? 1) % type.blockSize == 0, let bytes = type.byteCount(elements: elements) else {
                throw GGUFError(
                    .malformed, file: path,
                    "tensor '\(name)' of type \(type.name) has row length \(shape.first ?? 1), not a multiple of the block size \(type.blockSize)"
                )
            }
            guard rawOffset <= UInt64(mapping.bytes.count) else {
                throw GGUFError(
                    .truncated, file: path,
                    "tensor '\(name)' data offset \(rawOffset) is beyond the end of the file (\(mapping.bytes.count) bytes)")
            }
            guard index.updateValue(i, forKey: name) == nil else {
                throw GGUFError(.malformed, file: path, "tensor '\(name)' appears twice in the tensor directory")
            }
            relative.append((name, shape, type, Int(rawOffset), bytes))
        }
        tensorIndex = index

        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        guard tensorCount == 0 || dataStart <= mapping.bytes.count else {
            throw GGUFError(
                .truncated, file: path,
                "tensor data section would start at byte \(dataStart), past the end of the file (\(mapping.bytes.count) bytes)")
        }
        dataOffset = min(dataStart, mapping.bytes.count)
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(relative.count)
        for t in relative {
            guard t.offset % alignment == 0 else {
                throw GGUFError(
                    .malformed, file: path, "tensor '\(t.name)' data offset \(t.offset) is not a multiple of the alignment \(alignment)")
            }
            let (start, o1) = dataStart.addingReportingOverflow(t.offset)
            let (end, o2) = start.addingReportingOverflow(t.bytes)
            guard !o1, !o2, end <= mapping.bytes.count else {
                throw GGUFError(
                    .truncated, file: path,
                    "tensor '\(t.name)' (\(t.type.name), shape \(t.shape)) needs bytes \(dataStart &+ t.offset)..<\(dataStart &+ t.offset &+ t.bytes) but the file has \(mapping.bytes.count) bytes"
                )
            }
            infos.append(GGUFTensorInfo(name: t.name, shape: t.shape, type: t.type, offset: start, byteCount: t.bytes))
        }
        tensors = infos
    }

    /// Reads one metadata value of wire type `typeCode`; `key` is only for messages.
    private static func readValue(typeCode: UInt32, from cursor: inout GGUFByteCursor, key: String, depth: Int) throws -> GGUFValue {
        func what() -> String { "value of metadata key '\(key)'" }
        switch typeCode {
        case 0: return .uint8(try cursor.read(UInt8.self, what()))
        case 1: return .int8(try cursor.read(Int8.self, what()))
        case 2: return .uint16(try cursor.read(UInt16.self, what()))
        case 3: return .int16(try cursor.read(Int16.self, what()))
        case 4: return .uint32(try cursor.read(UInt32.self, what()))
        case 5: return .int32(try cursor.read(Int32.self, what()))
        case 6: return .float32(Float(bitPattern: try cursor.read(UInt32.self, what())))
        case 7:
            let byte = try cursor.read(UInt8.self, what())
            guard byte <= 1 else {
                throw GGUFError(.malformed, file: cursor.file, "\(what()) is a bool stored as \(byte) (expected 0 or 1)")
            }
            return .bool(byte == 1)
        case 8: return .string(try cursor.readString(what()))
        case 9:
            guard depth < maxArrayDepth else {
                throw GGUFError(.malformed, file: cursor.file, "\(what()) nests arrays deeper than \(maxArrayDepth) levels")
            }
            let elementType = try cursor.read(UInt32.self, "element type of \(what())")
            let minimumSize: Int
            switch elementType {
            case 0, 1, 7: minimumSize = 1
            case 2, 3: minimumSize = 2
            case 4, 5, 6: minimumSize = 4
            case 10, 11, 12, 8: minimumSize = 8
            case 9: minimumSize = 12
            default:
                throw GGUFError(.malformed, file: cursor.file, "\(what()) is an array of unknown type \(elementType)")
            }
            let count = try cursor.readCount("element count of \(what())", minimumBytesEach: minimumSize)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                elements.append(try readValue(typeCode: elementType, from: &cursor, key: key, depth: depth + 1))
            }
            return .array(elements)
        case 10: return .uint64(try cursor.read(UInt64.self, what()))
        case 11: return .int64(try cursor.read(Int64.self, what()))
        case 12: return .float64(Double(bitPattern: try cursor.read(UInt64.self, what())))
        default:
            throw GGUFError(.malformed, file: cursor.file, "metadata key '\(key)' has unknown value type \(typeCode)")
        }
    }

    /// The tensor called `name`, if the file has one.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The stored bytes of `tensor`, pointing into the mapping (valid while this file is alive).
    /// A tensor description that does not lie inside this file (e.g. one from another file) gives an empty buffer.
    public func rawBytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        guard contains(tensor) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.offset..<tensor.offset + tensor.byteCount])
    }

    /// Lets the system drop `tensor`'s mapped bytes from this process's resident memory (they stay
    /// readable: touching them again reads them back from the file). A model that has dequantised a
    /// tensor calls it so that its peak RSS is the f32 weights plus one tensor's file bytes, not plus
    /// the whole file (SmolLM2 Q4_1: 94 MiB less for every command that loads the model).
    public func releaseData(of tensor: GGUFTensorInfo) {
        guard contains(tensor) else { return }
        mapping.releasePages(tensor.offset..<tensor.offset + tensor.byteCount)
    }

    /// Whether `tensor`'s byte range lies inside the mapping.
    func contains(_ tensor: GGUFTensorInfo) -> Bool {
        tensor.offset >= 0 && tensor.byteCount >= 0 && tensor.offset <= mapping.bytes.count
            && tensor.byteCount <= mapping.bytes.count - tensor.offset
    }

    /// The model architecture (`general.architecture`), e.g. "llama".
    public var architecture: String? { metadata["general.architecture"]?.string }
}
