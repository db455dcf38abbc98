import Foundation
import Testing
@testable import Strata
import StrataTestSupport

/// The committed test vectors in spec/vectors/, written by the independent Python implementation
/// (tools/strata_format.py via tools/make_format_vectors.py), decoded by the Swift reader and compared
/// with the JSON of their contents.
@Suite struct VectorTests {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("spec/vectors").path

    struct Expected: Decodable {
        struct Record: Decodable {
            var id: String
            var labels: [Int]
            var token_ids: [Int32]
            var text: String?
            var metadata: [String: String]
            var auxiliary: [String: [Float]]
            var shape: [Int]
            var values: [Float]
        }
        var sealed: Bool
        var metadata: StrataMetadata
        var records: [Record]
        var records_after_recover: Int?
    }

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: vectors + "/" + name + ".json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func check(_ dataset: StrataDataset, against e: Expected) throws {
        #expect(dataset.metadata == e.metadata)
        #expect(dataset.count == e.records.count)
        for (i, r) in e.records.enumerated() {
            let info = try dataset.info(i)
            #expect(info.id == r.id)
            #expect(info.labels == r.labels)
            #expect(info.tokenIDs == r.token_ids)
            #expect(info.text == r.text)
            #expect(info.metadata == r.metadata)
            for (name, v) in r.auxiliary { #expect(try dataset.auxiliary(i, name: name) == v) }
            #expect(r.shape == [dataset.metadata.layers.count, info.nTokens, dataset.metadata.hidden])
            #expect(try dataset.readFloat(i) == r.values, "values of \(r.id)")
            // A one-layer, partial-token read agrees with the same slice of the expected values.
            if info.nTokens > 1 {
                let l = dataset.metadata.layers.count - 1
                let want = slice(r.values, layers: r.shape[0], tokens: r.shape[1], hidden: r.shape[2], select: [l], range: 1..<info.nTokens)
                #expect(try dataset.readFloat(i, layers: [l], tokens: 1..<info.nTokens) == want)
            }
        }
    }

    @Test(arguments: ["bf16-two-records.strata", "f16-many-blocks.strata", "f32-uncompressed.strata", "dataset"])
    func sealedVectorsDecodeToTheirJSON(name: String) throws {
        let e = try Self.expected(name)
        #expect(e.sealed)
        try Self.check(try StrataDataset(path: Self.vectors + "/" + name), against: e)
        #expect(try StrataVerifier.verify(path: Self.vectors + "/" + name).records == e.records.count)
    }

    @Test func unsealedVectorIsRefusedThenRecovered() throws {
        let e = try Self.expected("bf16-unsealed.strata")
        #expect(!e.sealed)
        let source = Self.vectors + "/bf16-unsealed.strata"
        do { _ = try ShardReader(path: source); Issue.record("unsealed vector opened") } catch let err as StrataError {
            #expect(err.kind == .unsealed)
        }
        try withTemporaryDirectory { dir in
            let copy = dir + "/copy.strata"
            try FileManager.default.copyItem(atPath: source, toPath: copy)
            let report = try ShardRecovery.recover(path: copy)
            #expect(report.recordsKept == e.records_after_recover)
            #expect(report.bytesDropped > 0)
            try Self.check(try StrataDataset(path: copy), against: e)
        }
    }
}
