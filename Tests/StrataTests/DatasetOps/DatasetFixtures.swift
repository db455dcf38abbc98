import Foundation
import Testing

@testable import Strata

/// Small shards with values that are a known function of the record key, exactly
/// representable in f32, f16 and bf16 (integers in -128...127), so copies can be checked bit
/// for bit without trusting the reader.
enum DatasetFixtures {
    static let layers = 3
    static let hidden = 4

    static func tokens(_ key: Int) -> Int { 1 + key % 4 }

    static func value(_ key: Int, layer: Int, token: Int, h: Int) -> Float {
        Float((key * 31 + layer * 7 + token * 3 + h) % 256 - 128)
    }

    /// Expected layer-major values of the record with `key` for the given layer positions.
    static func values(_ key: Int, layers selected: [Int]? = nil) -> [Float] {
        var out: [Float] = []
        for layer in selected ?? Array(0..<layers) {
            for t in 0..<tokens(key) { for h in 0..<hidden { out.append(value(key, layer: layer, token: t, h: h)) } }
        }
        return out
    }

    static func id(_ key: Int) -> String { "r\(key)" }
    static func key(ofID id: String) -> Int? { Int(id.dropFirst()) }
    static func label(_ key: Int) -> Int { key % 3 == 0 ? 1 : 0 }

    static func metadata(dtype: StrataDType = .f16, hidden: Int = hidden, model: String = "tiny-llama") -> StrataMetadata {
        StrataMetadata(
            hidden: hidden, layers: LayerInfo.huggingFaceHiddenStates(blocks: layers - 1),
            dtype: dtype, model: ModelIdentity(name: model, architecture: "llama", nBlocks: layers - 1, hiddenSize: hidden),
            labelNames: ["neg", "pos"], auxiliary: [AuxiliaryInfo(name: "logp", length: 2)])
    }

    /// Writes records `keys` into the shard `path` (directories created as needed).
    @discardableResult
    static func writeShard(_ path: String, keys: [Int], metadata: StrataMetadata = metadata()) throws -> String {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let writer = try ShardWriter(path: path, metadata: metadata)
        for key in keys {
            let record = RecordInput(
                id: id(key), labels: [label(key)], tokenIDs: (0..<tokens(key)).map { Int32(key * 10 + $0) },
                text: "text \(key)", metadata: ["source": key % 2 == 0 ? "even" : "odd"],
                auxiliary: ["logp": [Float(key), -1]])
            var vals = values(key)
            if metadata.hidden != hidden { vals = [Float](repeating: 0.5, count: layers * tokens(key) * metadata.hidden) }
            switch metadata.dtype {
            case .f32, .q8: try vals.withUnsafeBufferPointer { try writer.append(record, values: .f32($0)) }
            case .f16:
                let bits = vals.map { Float16($0).bitPattern }
                try bits.withUnsafeBufferPointer { try writer.append(record, values: .f16($0)) }
            case .bf16:
                let bits = vals.map { UInt16($0.bitPattern >> 16) } // exact: the values are small integers
                try bits.withUnsafeBufferPointer { try writer.append(record, values: .bf16($0)) }
            }
        }
        try writer.close()
        return path
    }

    /// Every record of `dataset` carries the values, label, aux and text of its key.
    static func expectFaithful(_ dataset: StrataDataset) throws {
        for global in 0..<dataset.count {
            let info = try dataset.info(global)
            guard let key = key(ofID: info.id) else {
                Issue.record("unexpected id \(info.id)")
                continue
            }
            #expect(info.labels == [label(key)])
            #expect(info.text == "text \(key)")
            #expect(info.tokenIDs == (0..<tokens(key)).map { Int32(key * 10 + $0) })
            #expect(try dataset.auxiliary(global, name: "logp") == [Float(key), -1])
            #expect(try dataset.readFloat(global) == values(key))
        }
    }

    static func ids(_ dataset: StrataDataset) throws -> [String] {
        try (0..<dataset.count).map { try dataset.info($0).id }
    }
}
