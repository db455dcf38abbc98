import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// A typed metadata value as written in tiny.json by Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py.
struct GGUFExpectedValue: Decodable {
    let value: GGUFValue

    private enum Keys: String, CodingKey { case type, value }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "uint8": value = .uint8(try c.decode(UInt8.self, forKey: .value))
        case "int8": value = .int8(try c.decode(Int8.self, forKey: .value))
        case "uint16": value = .uint16(try c.decode(UInt16.self, forKey: .value))
        case "int16": value = .int16(try c.decode(Int16.self, forKey: .value))
        case "uint32": value = .uint32(try c.decode(UInt32.self, forKey: .value))
        case "int32": value = .int32(try c.decode(Int32.self, forKey: .value))
        case "uint64": value = .uint64(try c.decode(UInt64.self, forKey: .value))
        case "int64": value = .int64(try c.decode(Int64.self, forKey: .value))
        case "float32": value = .float32(Float(try c.decode(Double.self, forKey: .value)))
        case "float64": value = .float64(try c.decode(Double.self, forKey: .value))
        case "bool": value = .bool(try c.decode(Bool.self, forKey: .value))
        case "string": value = .string(try c.decode(String.self, forKey: .value))
        case "array": value = .array(try c.decode([GGUFExpectedValue].self, forKey: .value).map(\.value))
        case let other: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown type \(other)")
        }
    }
}

struct GGUFTinyDescription: Decodable {
    struct Entry: Decodable { let key: String; let value: GGUFExpectedValue }
    struct Tensor: Decodable { let name: String; let type: String; let shape: [Int]; let values: [Double] }
    let version: Int
    let metadata: [Entry]
    let tensors: [Tensor]
}

/// Reading a GGUF file written by gguf-py's GGUFWriter, and rejecting corrupt files.
struct GGUFReaderTests {
    @Test func readsPythonWrittenFile() throws {
        let expected = try JSONDecoder().decode(GGUFTinyDescription.self, from: GGUFFixtures.data("tiny.json"))
        let file = try GGUFFile(path: GGUFFixtures.url("tiny.gguf").path)
        #expect(file.version == expected.version)
        #expect(file.architecture == "llama")

        // Every key written (gguf-py may add its own, e.g. general.alignment — none here).
        for entry in expected.metadata {
            let actual = try #require(file.metadata[entry.key], "missing key \(entry.key)")
            #expect(actual == entry.value.value, "key \(entry.key)")
        }
        #expect(file.metadataKeys == expected.metadata.map(\.key), "keys in file order")
        #expect(file.metadata["test.strings"]?.array?.compactMap(\.string) == ["<s>", "</s>", "Ġthe", "héllo", "", "🦙"])
        #expect(file.metadata["test.nested"]?.array?[2].array?.compactMap(\.int) == [4, 5, 6])
        #expect(file.metadata["test.u64"]?.int == nil, "18e18 does not fit in Int")
        #expect(file.metadata["test.i8"]?.int == -100)
        #expect(file.metadata["test.f32"]?.float == Double(Float(0.1)))

        #expect(file.tensors.map(\.name) == expected.tensors.map(\.name))
        for t in expected.tensors {
            let info = try #require(file.tensor(named: t.name))
            #expect(info.type.name == t.type)
            #expect(info.shape == t.shape)
            #expect(info.offset % file.alignment == 0)
            #expect(file.rawBytes(of: info).count == info.byteCount)
            let values = try file.dequantize(info)
            GGUFFixtures.expectBitEqual(values, t.values.map { Float($0) }, "tensor \(t.name)")
        }
        #expect(file.tensor(named: "no.such.tensor") == nil)

        // Row ranges agree with the whole-tensor result.
        for t in file.tensors {
            let all = try file.dequantize(t)
            let rows = 1..<t.rowCount
            var part = [Float](repeating: .nan, count: rows.count * t.rowLength)
            try part.withUnsafeMutableBufferPointer { try file.dequantizeRows(of: t, rows, into: $0) }
            GGUFFixtures.expectBitEqual(part, Array(all[t.rowLength...]), "rows of \(t.name)")
        }
        let q8 = try file.requireTensor("t.q8_0")
        var small = [Float](repeating: 0, count: 64)
        #expect(throws: GGUFError.self) { try small.withUnsafeMutableBufferPointer { try file.dequantizeRows(of: q8, 1..<3, into: $0) } }
    }

    @Test func architectureCheckNamesTheArchitecture() throws {
        let file = try GGUFFile(path: GGUFFixtures.url("tiny.gguf").path)
        #expect(try file.requireArchitecture(["llama"]) == "llama")
        let error = try #require(throws: GGUFError.self) { try file.requireArchitecture(["gemma2", "qwen2"]) }
        #expect(error.kind == .unsupportedArchitecture)
        #expect(error.description == "gguf: \(file.path): architecture 'llama' is not supported (supported: gemma2, qwen2)")
    }

    @Test func requireHelpersNameTheKey() throws {
        let file = try GGUFFile(path: GGUFFixtures.url("tiny.gguf").path)
        #expect(try file.requireInt("llama.block_count") == 2)
        let missing = try #require(throws: GGUFError.self) { try file.requireInt("llama.embedding_length") }
        #expect(missing.description.contains("'llama.embedding_length' is missing"))
        let wrongType = try #require(throws: GGUFError.self) { try file.requireInt("test.string") }
        #expect(wrongType.description.contains("'test.string' is string"))
        #expect(try file.requireString("general.architecture") == "llama")
        #expect(try file.requireStringArray("test.strings") == ["<s>", "</s>", "Ġthe", "héllo", "", "🦙"])
        #expect(try file.requireIntArray("test.i32s") == [1, -2, 3])
        let notStrings = try #require(throws: GGUFError.self) { try file.requireStringArray("test.i32s") }
        #expect(notStrings.description.contains("'test.i32s' element 0 is int32, expected a string"))
        #expect(throws: GGUFError.self) { try file.requireIntArray("test.u8") }
        let noTensor = try #require(throws: GGUFError.self) { try file.requireTensor("output.weight") }
        #expect(noTensor.description.contains("'output.weight'"))
    }

    /// Every truncation of a valid file must fail cleanly with an error naming the file — never crash.
    @Test func everyTruncationFailsCleanly() throws {
        let bytes = [UInt8](try GGUFFixtures.data("tiny.gguf"))
        for length in 0..<bytes.count {
            do {
                _ = try GGUFFile(bytes: Array(bytes[0..<length]), name: "cut.gguf")
                Issue.record("truncation to \(length) of \(bytes.count) bytes was accepted")
            } catch let error as GGUFError {
                #expect(error.file == "cut.gguf")
            }
        }
        // The same through a real (mapped) file, for one cut inside the tensor data.
        try withTemporaryDirectoryURL { dir in
            let path = dir.appendingPathComponent("cut.gguf").path
            try Data(bytes.dropLast(10)).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: GGUFError.self) { try GGUFFile(path: path) }
            #expect(error.kind == .truncated && error.description.hasPrefix("gguf: \(path): tensor 't.f32_3d'"))
        }
    }

    /// Random byte corruption of the header region must never crash (errors are fine, and so is success
    /// when the change only touched a value); whatever opens must also dequantise without crashing.
    @Test func randomCorruptionNeverCrashes() throws {
        let original = [UInt8](try GGUFFixtures.data("tiny.gguf"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 8..<min(bytes.count, 1200), using: &generator)
                bytes[at] = [0xFF, 0x00, 0x7F, 0x80, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator)!
            }
            if let file = try? GGUFFile(bytes: bytes, name: "bad.gguf") {
                for tensor in file.tensors where tensor.type.canDequantize {
                    _ = try? file.dequantize(tensor)
                }
            }
        }
    }

    @Test func headerErrorsAreSpecific() throws {
        try withTemporaryDirectoryURL { dir in
            func attempt(_ bytes: [UInt8]) throws -> GGUFError {
                let path = dir.appendingPathComponent("h-\(UUID().uuidString).gguf").path
                // Zero padding so counts are plausible and the intended field is the one that fails.
                try Data(bytes + [UInt8](repeating: 0, count: 64)).write(to: URL(fileURLWithPath: path))
                return try #require(throws: GGUFError.self) { try GGUFFile(path: path) }
            }
            func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
            func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
            let magic: [UInt8] = Array("GGUF".utf8)

            #expect(try attempt(Array("GGML....".utf8)).kind == .badMagic)
            let v1 = try attempt(magic + le32(1) + le64(0) + le64(0))
            #expect(v1.kind == .unsupportedVersion && v1.message.contains("version 1"))
            #expect(try attempt(magic + le32(3 << 24) + le64(0) + le64(0)).message.contains("big-endian"))
            // A tensor count that could not possibly fit in the file.
            let huge = try attempt(magic + le32(3) + le64(1 << 60) + le64(0))
            #expect(huge.kind == .truncated && huge.message.contains("tensor count"))
            // A string length past the end of the file.
            let longKey = try attempt(magic + le32(3) + le64(0) + le64(1) + le64(1000) + Array("abc".utf8))
            #expect(longKey.kind == .truncated && longKey.message.contains("metadata key #0"))
            // An unknown value type names the key.
            let badType = try attempt(magic + le32(3) + le64(0) + le64(1) + le64(3) + Array("abc".utf8) + le32(99) + le64(0))
            #expect(badType.kind == .malformed && badType.message.contains("'abc'"))
            // A tensor whose data lies past the end of the file names the tensor.
            let name = Array("w".utf8)
            let pastEnd = try attempt(magic + le32(3) + le64(1) + le64(0) + le64(1) + name + le32(1) + le64(1024) + le32(0) + le64(0))
            #expect(pastEnd.kind == .truncated && pastEnd.message.contains("tensor 'w'"))
            // An absurd alignment is rejected, not used in offset arithmetic.
            let alignKey = Array("general.alignment".utf8)
            let badAlign = try attempt(
                magic + le32(3) + le64(0) + le64(1) + le64(UInt64(alignKey.count)) + alignKey + le32(10) + le64(1 << 62))
            #expect(badAlign.kind == .malformed && badAlign.message.contains("general.alignment"))
            // Missing file.
            let missing = try #require(throws: GGUFError.self) { try GGUFFile(path: dir.appendingPathComponent("nope.gguf").path) }
            #expect(missing.kind == .io && missing.description.contains("nope.gguf"))
        }
    }

    @Test func version2FilesAreRead() throws {
        var bytes = [UInt8](try GGUFFixtures.data("tiny.gguf"))
        bytes[4] = 2
        try withTemporaryDirectoryURL { dir in
            let path = dir.appendingPathComponent("v2.gguf").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let file = try GGUFFile(path: path)
            #expect(file.version == 2)
            #expect(file.tensors.count == 6)
        }
    }
}
