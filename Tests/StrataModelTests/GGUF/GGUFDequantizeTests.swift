import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// Dequantisation against gguf-py's `gguf.quants.dequantize` on random blocks
/// (fixtures from Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py). All types are compared bit for bit: the
/// Swift decoders compute in the same order as the reference (single float32 ops, no fused multiply-add).
struct GGUFDequantizeTests {
    struct Case: Decodable { let type: String; let ggml_type: UInt32; let elements: Int }
    struct Manifest: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        guard let data = try? GGUFFixtures.data("dequant.json"),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
        else { return [] }
        return manifest.cases
    }()

    @Test func manifestCoversEverySupportedType() throws {
        let covered = Set(Self.cases.map(\.ggml_type))
        for type in GGMLType.allCases where type.canDequantize {
            #expect(covered.contains(type.rawValue), "no fixture for \(type.name)")
        }
    }

    @Test(arguments: cases.map(\.type))
    func matchesPythonReferenceBitExact(typeName: String) throws {
        let testCase = try #require(Self.cases.first { $0.type == typeName })
        let type = try #require(GGMLType(rawValue: testCase.ggml_type))
        #expect(type.name == typeName)
        let blocks = try GGUFFixtures.data("\(typeName).blocks")
        let reference = try GGUFFixtures.floats("\(typeName).f32")
        #expect(blocks.count == type.byteCount(elements: testCase.elements))
        #expect(reference.count == testCase.elements)

        // Decode from an odd address too: GGUF data need not be aligned for the float types.
        for misalignment in [0, 1] {
            let padded = [UInt8](repeating: 0, count: misalignment) + [UInt8](blocks)
            var output = [Float](repeating: .nan, count: testCase.elements)
            try padded.withUnsafeBytes { raw in
                try output.withUnsafeMutableBufferPointer { out in
                    try dequantizeRow(type: type, source: raw.baseAddress! + misalignment, count: testCase.elements, into: out.baseAddress!)
                }
            }
            GGUFFixtures.expectBitEqual(output, reference, "\(typeName) (misalignment \(misalignment))")
        }
    }

    /// Every GGMLType's code, block size and block byte size agree with gguf-py's GGML_QUANT_SIZES.
    @Test(.needsPython("gguf", "numpy")) func typeTableMatchesPython() throws {
        let result = try Python.run([
            "-c",
            """
            import json, gguf
            print(json.dumps({t.name: [int(t), *gguf.GGML_QUANT_SIZES[t]] for t in gguf.GGMLQuantizationType}))
            """
        ])
        try #require(result.status == 0, "\(result.stderr)")
        let table = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: [Int]])
        for type in GGMLType.allCases {
            let entry = try #require(table[type.name], "gguf-py has no type \(type.name)")
            #expect(entry == [Int(type.rawValue), type.blockSize, type.blockByteCount], "\(type.name)")
        }
        // Newer gguf-py releases may add types; those are only reported (files using them fail to open
        // with "unknown ggml type", which is the right behaviour until GGMLType learns them).
        let missing = Set(table.keys).subtracting(GGMLType.allCases.map(\.name))
        if !missing.isEmpty { print("note: gguf-py knows types GGMLType lacks: \(missing.sorted())") }
    }

    @Test func unsupportedTypeErrorNamesTheType() throws {
        var out = [Float](repeating: 0, count: 256)
        let source = [UInt8](repeating: 0, count: 1024)
        let error = try #require(throws: GGUFError.self) {
            try source.withUnsafeBytes { raw in
                try dequantizeRow(type: .q3_K, source: raw.baseAddress!, count: 256, into: &out)
            }
        }
        #expect(error.kind == .unsupportedType)
        #expect(error.description.contains("Q3_K"))
    }

    @Test func countMustBeWholeBlocks() throws {
        var out = [Float](repeating: 0, count: 64)
        let source = [UInt8](repeating: 0, count: 64)
        #expect(throws: GGUFError.self) {
            try source.withUnsafeBytes { raw in
                try dequantizeRow(type: .q8_0, source: raw.baseAddress!, count: 33, into: &out)
            }
        }
    }
}
