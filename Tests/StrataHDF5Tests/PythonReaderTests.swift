import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataHDF5

/// The Python package (python/, `python3 -m strata`; its own tests in python/tests check it against the
/// spec's vectors) reads what the Swift writer wrote, value for value, and refuses a damaged shard.
@Suite struct PythonReaderTests {
    @Test(.needsPython("numpy", "zstandard", "crc32c"), arguments: StrataDType.lossless)
    func pythonReaderReadsSwiftShards(dtype: StrataDType) throws {
        try withTemporaryDirectoryURL("pyreader-\(dtype.rawValue)") { directory in
            let sample = try StrataSample.write(dtype: dtype, in: directory, records: 5, seed: 99)
            let prefix = directory.appendingPathComponent("dump").path
            let result = try Python.run(["-m", "strata", "verify", sample.path])
            #expect(result.status == 0, "\(result.output)")
            let dumped = try Python.run(["-m", "strata", "dump", sample.path, prefix])
            #expect(dumped.status == 0, "\(dumped.output)")
            guard result.status == 0, dumped.status == 0 else { return }
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
                #expect(
                    record.id == expected.input.id && record.labels == expected.input.labels
                        && record.token_ids == expected.input.tokenIDs && record.text == expected.input.text
                        && record.metadata == expected.input.metadata)
                #expect(record.shape == [sample.layers, expected.tokens, sample.hidden])
            }
        }
    }

    @Test(.needsPython("numpy", "zstandard", "crc32c")) func pythonReaderRefusesACorruptShard() throws {
        try withTemporaryDirectoryURL("pyreader-corrupt") { directory in
            let sample = try StrataSample.write(dtype: .bf16, in: directory, records: 3)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sample.path)))
            #expect(try Python.run(["-m", "strata", "verify", sample.path]).status == 0)
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: sample.path))
            let result = try Python.run(["-m", "strata", "verify", sample.path])
            #expect(result.status == 1 && result.output.contains("error:") && result.output.contains(sample.path), "\(result.output)")
        }
    }
}
