import Foundation
import Strata
import StrataTestSupport
import Testing

/// Cross-checks the Swift writer against the Python package's reader (python/strata, written from
/// spec/FORMAT.md). Needs python3 with numpy, zstandard and crc32c (tools/setup --python).
@Suite struct PythonReaderTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func python(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Reads a shard with the Python package and prints a JSON summary: records, ids, tokens and the sum of
    /// every value (float64), after checking every checksum (`verify`).
    static let summaryScript = """
        import json, sys
        sys.path.insert(0, sys.argv[1] + "/python")
        import numpy as np, strata
        ds = strata.open(sys.argv[2])
        ds.verify()
        print(json.dumps({"records": len(ds), "ids": [ds.info(i).id for i in range(len(ds))],
                          "tokens": sum(ds.info(i).shape[1] for i in range(len(ds))),
                          "checksum_f64_sum": float(sum(np.sum(ds.read(i), dtype=np.float64) for i in range(len(ds))))}))
        """

    @Test(arguments: ["f32", "f16", "bf16", "q8"])
    func pythonReaderDecodesSwiftShards(dtype: String) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/py.strata"
            let synth = try CLIRunner.run([
                "synth", "--out", path, "--records", "4", "--layer-count", "3", "--hidden", "24", "--min-tokens", "2",
                "--max-tokens", "40", "--dtype", dtype, "--seed", "5", "--block-size", "700", "--id-prefix", "p"
            ])
            #expect(synth.status == 0)
            let (status, stdout, stderr) = try Self.python(["-c", Self.summaryScript, Self.repoRoot, path])
            #expect(status == 0, "python reader failed: \(stderr)")
            let summary = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as! [String: Any]
            let reader = try ShardReader(path: path)
            #expect(summary["records"] as? Int == reader.count)
            #expect(summary["ids"] as? [String] == (0..<reader.count).map { "p\($0)" })
            var tokens = 0
            var sum = 0.0
            for i in 0..<reader.count {
                tokens += try reader.info(i).nTokens
                for v in try reader.readFloat(i) { sum += Double(v) }
            }
            #expect(summary["tokens"] as? Int == tokens)
            let pySum = summary["checksum_f64_sum"] as! Double
            #expect(abs(pySum - sum) <= 1e-9 * max(1, abs(sum)), "value sums differ: python \(pySum), swift \(sum)")
        }
    }
}
