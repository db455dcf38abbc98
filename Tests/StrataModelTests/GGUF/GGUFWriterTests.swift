import Foundation
import StrataTestSupport
import StrataUtilities
import Testing

@testable import StrataModel

/// The Swift GGUFWriter, checked by reading its output back with GGUFFile and with gguf-py.
struct GGUFWriterTests {
    static let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("t.u8", .uint8(255)), ("t.i8", .int8(-128)), ("t.u16", .uint16(65535)), ("t.i16", .int16(-32768)),
        ("t.u32", .uint32(4_294_967_295)), ("t.i32", .int32(-2_147_483_648)),
        ("t.u64", .uint64(18_446_744_073_709_551_615)), ("t.i64", .int64(-9_223_372_036_854_775_808)),
        ("t.f32", .float32(-1.5e-3)), ("t.f64", .float64(1.0 / 3.0)), ("t.true", .bool(true)), ("t.false", .bool(false)),
        ("t.string", .string("Ġthe ✓ 🦙")),
        ("t.strings", .array([.string("a"), .string(""), .string("héllo")])),
        ("t.floats", .array([.float32(0.25), .float32(-2)])),
        ("t.nested", .array([.array([.int32(1), .int32(2)]), .array([.string("x")])])),
        ("t.empty", .array([]))
    ]

    static func makeWriter(alignment: Int = 32) throws -> (GGUFWriter, [String: [Float]]) {
        var writer = try GGUFWriter(alignment: alignment)
        for (key, value) in metadata { try writer.set(key, value) }
        var generator = SystemRandomNumberGenerator()
        let a = (0..<24).map { _ in Float.random(in: -2...2, using: &generator) }
        let b = (0..<40).map { _ in Float.random(in: -2...2, using: &generator) }
        try writer.addTensor(name: "a.f32", shape: [8, 3], values: a)
        try writer.addTensor(name: "b.f16", shape: [5, 4, 2], values: b, type: .f16)
        // A pre-quantised Q8_0 row: scale 0.5 (f16 0x3800) and q = -16 ... 15.
        let q8: [UInt8] = [0x00, 0x38] + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        try writer.addTensor(name: "c.q8_0", shape: [32], type: .q8_0, rawBytes: q8)
        return (writer, ["a.f32": a, "b.f16": b, "c.q8_0": (0..<32).map { Float($0 - 16) * 0.5 }])
    }

    @Test(arguments: [32, 64])
    func roundTrip(alignment: Int) throws {
        let (writer, values) = try Self.makeWriter(alignment: alignment)
        try withTemporaryDirectoryURL { dir in
            let path = dir.appendingPathComponent("w.gguf").path
            try writer.write(to: path)
            let file = try GGUFFile(path: path)
            #expect(file.version == 3)
            #expect(file.alignment == alignment)
            for (key, value) in Self.metadata {
                #expect(file.metadata[key] == value, "key \(key)")
            }
            #expect(file.tensors.map(\.name) == ["a.f32", "b.f16", "c.q8_0"])
            #expect(file.tensor(named: "b.f16")?.shape == [5, 4, 2])
            #expect(try file.dequantize(file.requireTensor("a.f32")) == values["a.f32"])
            // F16 storage rounds each value to nearest even half.
            let halfRounded = values["b.f16"]!.map { HalfFloat.f16ToF32(HalfFloat.f32ToF16($0)) }
            #expect(try file.dequantize(file.requireTensor("b.f16")) == halfRounded)
            #expect(try file.dequantize(file.requireTensor("c.q8_0")) == values["c.q8_0"])
            for tensor in file.tensors { #expect(tensor.offset % alignment == 0) }
        }
    }

    /// A tensor of a type Strata cannot dequantise opens fine; dequantising it names file, tensor and type.
    @Test func unsupportedTensorTypeErrorNamesFileTensorAndType() throws {
        var writer = try GGUFWriter()
        try writer.addTensor(
            name: "blk.0.attn_q.weight", shape: [256, 2], type: .q3_K,
            rawBytes: [UInt8](repeating: 0, count: 2 * GGMLType.q3_K.blockByteCount))
        let file = try GGUFFile(bytes: writer.serialized(), name: "model.gguf")
        let tensor = try file.requireTensor("blk.0.attn_q.weight")
        #expect(file.rawBytes(of: tensor).count == 220)
        let error = try #require(throws: GGUFError.self) { try file.dequantize(tensor) }
        #expect(error.kind == .unsupportedType)
        #expect(
            error.description.hasPrefix("gguf: model.gguf: tensor 'blk.0.attn_q.weight': dequantising Q3_K (ggml type 11) is not supported")
        )
    }

    @Test func rejectsBadInput() throws {
        var writer = try GGUFWriter()
        #expect(throws: GGUFError.self) { try writer.set("k", .array([.int32(1), .string("x")])) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "t", shape: [3], values: [1, 2]) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "t", shape: [4], values: [1, 2, 3, 4], type: .q8_0) }
        #expect(throws: GGUFError.self) {
            try writer.addTensor(name: "t", shape: [33], type: .q8_0, rawBytes: [UInt8](repeating: 0, count: 34))
        }
        try writer.addTensor(name: "t", shape: [1], values: [1])
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "t", shape: [1], values: [1]) }
        #expect(throws: GGUFError.self) { try GGUFWriter(alignment: 24) }
    }

    /// gguf-py's GGUFReader must read what the Swift writer wrote: every key with its type, and the tensors.
    @Test(.needsPython("gguf", "numpy")) func pythonReadsWriterOutput() throws {
        let (writer, values) = try Self.makeWriter()
        try withTemporaryDirectoryURL { dir in
            let path = dir.appendingPathComponent("w.gguf").path
            try writer.write(to: path)

            // gguf-py's contents() does not decode nested arrays, so for those only the type chain is reported.
            let script = """
                import sys, json, numpy as np, gguf
                from gguf.quants import dequantize
                r = gguf.GGUFReader(sys.argv[1])
                fields = {}
                for name, f in r.fields.items():
                    if name.startswith('GGUF.'): continue
                    types = [t.name.lower() for t in f.types]
                    nested = len(types) > 1 and types[1] == 'array'
                    fields[name] = {'types': types, 'value': None if nested or (types == ['array'] and not f.data) else f.contents()}
                tensors = {t.name: {'type': t.tensor_type.name, 'shape': [int(x) for x in t.shape],
                                    'values': [float(v) for v in np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(-1)]}
                           for t in r.tensors}
                print(json.dumps({'fields': fields, 'tensors': tensors}))
                """
            let result = try Python.run(["-c", script, path])
            try #require(result.status == 0, "gguf-py could not read the file: \(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
            let fields = try #require(json["fields"] as? [String: [String: Any]])
            #expect(Set(fields.keys) == Set(Self.metadata.map(\.0)))
            for (key, value) in Self.metadata {
                let field = try #require(fields[key], "gguf-py lost key \(key)")
                let types = field["types"] as? [String] ?? []
                #expect(types.first == value.typeName, "type of \(key)")
                switch value {
                case .string(let s): #expect(field["value"] as? String == s)
                case .bool(let b): #expect(field["value"] as? Bool == b)
                case .float32(let f): #expect((field["value"] as? NSNumber)?.floatValue == f)
                case .float64(let d): #expect((field["value"] as? NSNumber)?.doubleValue == d)
                case .uint64(let u): #expect((field["value"] as? NSNumber)?.uint64Value == u)
                case .array(let elements) where key == "t.strings":
                    #expect(field["value"] as? [String] == elements.compactMap(\.string))
                case .array(let elements) where key == "t.floats":
                    #expect((field["value"] as? [NSNumber])?.map(\.floatValue) == elements.compactMap { $0.float.map(Float.init) })
                case .array where key == "t.nested":
                    #expect(types == ["array", "array", "int32"] || types.prefix(2) == ["array", "array"])
                case .array: break
                default: #expect((field["value"] as? NSNumber)?.int64Value == value.int.map(Int64.init), "value of \(key)")
                }
            }
            let tensors = try #require(json["tensors"] as? [String: [String: Any]])
            #expect(tensors["a.f32"]?["shape"] as? [Int] == [8, 3])
            #expect(tensors["b.f16"]?["shape"] as? [Int] == [5, 4, 2])
            #expect(tensors["c.q8_0"]?["type"] as? String == "Q8_0")
            #expect((tensors["a.f32"]?["values"] as? [NSNumber])?.map(\.floatValue) == values["a.f32"])
            let half = values["b.f16"]!.map { HalfFloat.f16ToF32(HalfFloat.f32ToF16($0)) }
            #expect((tensors["b.f16"]?["values"] as? [NSNumber])?.map(\.floatValue) == half)
            #expect((tensors["c.q8_0"]?["values"] as? [NSNumber])?.map(\.floatValue) == values["c.q8_0"])
        }
    }
}
