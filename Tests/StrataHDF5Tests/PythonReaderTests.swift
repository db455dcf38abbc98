import Foundation
import Strata
import Testing
@testable import StrataHDF5
import StrataTestSupport

/// tools/strata_reader.py — written from spec/FORMAT.md only — reads what the Swift writer wrote,
/// value for value, and passes the spec's own test vectors.
@Suite struct PythonReaderTests {
    @Test(.needsPython("numpy", "zstandard"), arguments: StrataDType.allCases)
    func pythonReaderReadsSwiftShards(dtype: StrataDType) throws {
        try withTemporaryDirectoryURL("pyreader-\(dtype.rawValue)") { directory in
            let sample = try StrataSample.write(dtype: dtype, in: directory, records: 5, seed: 99)
            let prefix = directory.appendingPathComponent("dump").path
            let result = try Python.run(["tools/strata_reader.py", "--verify", "--dump", prefix, sample.path])
            #expect(result.status == 0, "\(result.output)")
            guard result.status == 0 else { return }
            let values = [UInt8](try Data(contentsOf: URL(fileURLWithPath: prefix + ".bin")))
            #expect(values == sample.expectedValueBytes, "\(dtype): the Python reader decoded different values")
            struct Dump: Decodable {
                struct Record: Decodable {
                    var id: String; var labels: [Int]; var token_ids: [Int32]; var text: String?
                    var metadata: [String: String]; var shape: [Int]
                }
                var records: [Record]
            }
            let dump = try JSONDecoder().decode(Dump.self, from: Data(contentsOf: URL(fileURLWithPath: prefix + ".json")))
            #expect(dump.records.count == sample.records.count)
            for (record, expected) in zip(dump.records, sample.records) {
                #expect(record.id == expected.input.id && record.labels == expected.input.labels
                        && record.token_ids == expected.input.tokenIDs && record.text == expected.input.text
                        && record.metadata == expected.input.metadata)
                #expect(record.shape == [sample.layers, expected.tokens, sample.hidden])
            }
        }
    }

    @Test(.needsPython("numpy", "zstandard")) func pythonReaderPassesTheSpecVectors() throws {
        let result = try Python.run(["tools/test_strata_reader.py"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(.needsPython("numpy", "zstandard")) func pythonReaderRefusesACorruptShard() throws {
        try withTemporaryDirectoryURL("pyreader-corrupt") { directory in
            let sample = try StrataSample.write(dtype: .bf16, in: directory, records: 3)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sample.path)))
            #expect(try Python.run(["tools/strata_reader.py", "--verify", sample.path]).status == 0)
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: sample.path))
            let result = try Python.run(["tools/strata_reader.py", "--verify", sample.path])
            #expect(result.status == 2 && result.output.contains("error:"), "\(result.output)")
        }
    }
}
