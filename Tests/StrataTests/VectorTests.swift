import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// The committed test vectors in spec/vectors/, written with the Python package's encoding (python/strata,
/// by spec/vectors/generate.py), read by the Swift reader and compared with their JSON: a valid vector
/// decodes to its contents; a refused one (`error` in its JSON, spec/FORMAT.md §13) fails with the named
/// error kind when the JSON says (opening, reading one record, or only the whole-file check of `verify`).
/// python/tests/test_reader.py checks the same JSON with the Python package's reader, and
/// tools/tests/test_format_vectors.py that the generator reproduces the committed files.
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
        struct Refusal: Decodable {
            var kind: String
            /// "open", "read" (record `record`) or "verify".
            var at: String
            var record: Int?
            /// The damage is inside a zstd frame with a valid header: only decoding finds it, and a
            /// copy of the block as stored carries it over unchanged.
            var only_by_decoding: Bool?
        }
        var file: String
        var sealed: Bool?
        var metadata: StrataMetadata?
        var records: [Record]?
        var error: Refusal?
        var records_after_recover: Int?
    }

    /// Every vector's JSON file name, from the directory listing.
    static let names: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: vectors)) ?? [])
        .filter { $0.hasSuffix(".json") }.sorted()

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: vectors + "/" + name))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func check(_ dataset: StrataDataset, against e: Expected) throws {
        let records = try #require(e.records)
        #expect(dataset.metadata == e.metadata)
        #expect(dataset.count == records.count)
        for (i, r) in records.enumerated() {
            let info = try dataset.info(i)
            #expect(info.id == r.id)
            #expect(info.labels == r.labels)
            #expect(info.tokenIDs == r.token_ids)
            #expect(info.text == r.text)
            #expect(info.metadata == r.metadata)
            #expect(Set(dataset.metadata.auxiliary.map(\.name)) == Set(r.auxiliary.keys))
            for (name, v) in r.auxiliary { #expect(try dataset.auxiliary(i, name: name) == v) }
            #expect(r.shape == [dataset.metadata.layers.count, info.nTokens, dataset.metadata.hidden])
            #expect(try dataset.readFloat(i).map(\.bitPattern) == r.values.map(\.bitPattern), "values of \(r.id)")
            // A one-layer, partial-token read agrees with the same slice of the expected values.
            if info.nTokens > 1 {
                let l = dataset.metadata.layers.count - 1
                let want = slice(r.values, layers: r.shape[0], tokens: r.shape[1], hidden: r.shape[2], select: [l], range: 1..<info.nTokens)
                #expect(try dataset.readFloat(i, layers: [l], tokens: 1..<info.nTokens) == want)
            }
        }
    }

    /// Runs `body`, which must throw a `StrataError` of `kind`.
    static func expectRefusal(_ kind: String, _ what: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("\(what): accepted, expected a \(kind) error")
        } catch let error as StrataError {
            #expect(error.kind.rawValue == kind, "\(what): \(error)")
        } catch {
            Issue.record("\(what): \(error), expected a StrataError of kind \(kind)")
        }
    }

    @Test func everyKindOfVectorIsPresent() {
        // The parameterised tests below run once per JSON file; a missing directory must not pass silently.
        for name in [
            "bf16-two-records.strata.json", "payload-forms.strata.json", "bf16-unsealed.strata.json", "dataset.json",
            "bad-payload-crc.strata.json", "bad-truncated.strata.json", "bad-index-crc.strata.json", "bad-dataset-crc.json",
            "q8-outliers.strata.json", "bad-q8-index-order.strata.json", "bad-q8-scale.strata.json", "bad-q8-version.strata.json"
        ] {
            #expect(Self.names.contains(name), "spec/vectors/\(name) is missing")
        }
    }

    @Test(arguments: VectorTests.names)
    func vectorReadsAsItsJSONSays(name: String) throws {
        let e = try Self.expected(name)
        let path = Self.vectors + "/" + e.file
        if let refusal = e.error {
            try Self.checkRefused(path: path, refusal, recoverable: e.records_after_recover)
        } else if e.sealed == false {
            Self.expectRefusal("unsealed", "\(name): open") { _ = try StrataDataset(path: path) }
            try Self.checkRecovery(path: path, keeps: try #require(e.records_after_recover), against: e)
        } else {
            try Self.check(try StrataDataset(path: path), against: e)
            #expect(try StrataVerifier.verify(path: path).records == e.records?.count)
        }
    }

    static func checkRefused(path: String, _ refusal: Expected.Refusal, recoverable: Int?) throws {
        let kind = refusal.kind
        switch refusal.at {
        case "open":
            expectRefusal(kind, "\(path): open") { _ = try StrataDataset(path: path) }
        case "read", "verify":
            let dataset = try StrataDataset(path: path)
            for i in 0..<dataset.count {
                if refusal.at == "read" && i == refusal.record {
                    expectRefusal(kind, "\(path): record \(i)") {
                        _ = try dataset.info(i)
                        _ = try dataset.readFloat(i)
                    }
                } else {
                    _ = try dataset.info(i)
                    _ = try dataset.readFloat(i)
                }
            }
            if refusal.at == "verify" {
                expectRefusal(kind, "\(path): open with checksums") { _ = try StrataDataset(path: path, checkShardChecksums: true) }
            }
        default:
            Issue.record("\(path): unknown refusal time \(refusal.at)")
        }
        expectRefusal(kind, "\(path): verify") { _ = try StrataVerifier.verify(path: path) }
        // `strata shard` copies every block as stored, checking all but the inside of zstd frames (§5): it
        // refuses the vector too, or, when only decoding finds the damage, copies it unchanged.
        try withTemporaryDirectory { dir in
            if refusal.only_by_decoding == true {
                try DatasetReshard.reshard(input: path, output: dir + "/out", recordsPerShard: 1, shardBytes: nil)
                let copy = try StrataDataset(path: dir + "/out")
                expectRefusal(kind, "\(path): record \(refusal.record ?? -1) of the copy") {
                    _ = try copy.readFloat(try #require(refusal.record))
                }
            } else {
                expectRefusal(kind, "\(path): reshard") {
                    try DatasetReshard.reshard(input: path, output: dir + "/out", recordsPerShard: 1, shardBytes: nil)
                }
            }
            if let recoverable { try checkRecovery(path: path, keeps: recoverable, against: nil) }
        }
    }

    /// `strata recover` on a copy keeps `keeps` records and leaves a shard that verifies (and, when the
    /// vector lists its records, holds exactly them).
    static func checkRecovery(path: String, keeps: Int, against e: Expected?) throws {
        try withTemporaryDirectory { dir in
            let copy = dir + "/copy.strata"
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let report = try ShardRecovery.recover(path: copy)
            #expect(report.recordsKept == keeps)
            #expect(report.bytesDropped > 0)
            #expect(try StrataVerifier.verify(path: copy).records == keeps)
            if let e { try check(try StrataDataset(path: copy), against: e) }
        }
    }
}
