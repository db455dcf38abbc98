import Foundation
import Strata
import StrataTestSupport
import Testing

/// `strata convert --dtype q8` (and `synth --dtype q8`) end to end: the stored reconstructions are
/// what the Python package (python/strata, written from spec/FORMAT.md) decodes, bit for bit; every vector is within the bound of its source; the recorded figures match what the
/// reader returns; a bound that cannot be met fails naming the vector and writes nothing.
@Suite struct ConvertCommandTests {
    static let repoRoot = PythonReaderTests.repoRoot

    static func synth(_ path: String, dtype: String = "bf16", records: Int = 5, seed: Int = 3, extra: [String] = []) throws {
        let result = try CLIRunner.run(
            [
                "synth", "--out", path, "--records", String(records), "--layer-count", "4", "--hidden", "96",
                "--min-tokens", "1", "--max-tokens", "30", "--dtype", dtype, "--seed", String(seed),
                "--block-size", "4000", "--labels", "2", "--id-prefix", "s\(seed)-"
            ] + extra)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(.needsPython("numpy", "zstandard")) func convertedShardDecodesTheSameInEveryReader() throws {
        try withTemporaryDirectory { dir in
            let source = dir + "/in.strata", out = dir + "/out.strata"
            try Self.synth(source)
            let convert = try CLIRunner.run(["convert", source, "--out", out, "--dtype", "q8", "--max-rel-error", "0.008"])
            #expect(convert.status == 0, "\(convert.stderr)")
            #expect(convert.stdout.contains("relative L2 error per vector"))
            let bf16 = try StrataDataset(path: source), q8 = try StrataDataset(path: out)
            #expect(q8.metadata.dtype == .q8 && q8.shards[0].version.minor == 1)
            var all: [Double] = []
            var swiftValues = Data()
            for i in 0..<q8.count {
                #expect(try q8.info(i).id == bf16.info(i).id && q8.info(i).labels == bf16.info(i).labels)
                let y = try q8.readFloat(i)
                let e = relativeL2Errors(try bf16.readFloat(i), y, hidden: 96)
                #expect(e.allSatisfy { $0 <= 0.008 * (1 + 1e-6) })
                all += e
                y.withUnsafeBytes { swiftValues.append(contentsOf: $0) }
            }
            // The figures the writer recorded are the errors of what the reader returns.
            let inspect = try CLIRunner.run(["inspect", out, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
            #expect(object["lossy"] as? Bool == true)
            let quantization = try #require(object["quantization"] as? [String: Any])
            let figures = try #require(quantization["rel_error"] as? [String: Any])
            #expect(figures["vectors"] as? Int == all.count)
            #expect(abs((figures["max"] as! Double) - all.max()!) <= 1e-6 * all.max()!)
            #expect(abs((figures["mean"] as! Double) - all.reduce(0, +) / Double(all.count)) <= 1e-6)
            // The Python package (python/strata, from spec/FORMAT.md) decodes the same bits.
            let script = """
                import sys; sys.path[:0] = [sys.argv[1] + "/python"]
                import numpy as np, strata
                ds = strata.open(sys.argv[2])
                pkg = np.concatenate([ds.read(i).reshape(-1) for i in range(len(ds))]).astype("<f4")
                assert ds.shards[0].lossy
                sys.stdout.buffer.write(pkg.tobytes())
                """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", script, Self.repoRoot, out]
            let pipe = Pipe(), err = Pipe()
            p.standardOutput = pipe
            p.standardError = err
            try p.run()
            let bytes = pipe.fileHandleForReading.readDataToEndOfFile()
            let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(errText)")
            #expect(bytes.count == swiftValues.count)
            #expect(bytes == swiftValues, "the Python package decodes other values")
        }
    }

    @Test func anUnreachableBoundFailsNamingTheVectorAndWritesNothing() throws {
        try withTemporaryDirectory { dir in
            let source = dir + "/in.strata", out = dir + "/out.strata"
            try Self.synth(source, dtype: "f32")
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
            let result = try CLIRunner.run(["convert", source, "--out", out, "--dtype", "q8", "--max-rel-error", "0.000001"])
            #expect(result.status != 0)
            #expect(
                result.stderr.contains("record 0") && result.stderr.contains("layer position 0, token 0")
                    && result.stderr.contains("--max-rel-error"),
                "\(result.stderr)")
            #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep me")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["in.strata", "out.strata"])
        }
    }

    @Test func aDatasetConvertsShardByShardAndSynthRecordsItsFigures() throws {
        try withTemporaryDirectory { dir in
            try Self.synth(dir + "/a.strata", records: 7)
            let sharded = try CLIRunner.run(["shard", dir + "/a.strata", "--out", dir + "/ds", "--records-per-shard", "3"])
            #expect(sharded.status == 0, "\(sharded.stderr)")
            let convert = try CLIRunner.run(["convert", dir + "/ds", "--out", dir + "/q8", "--dtype", "q8"])
            #expect(convert.status == 0, "\(convert.stderr)")
            let q8 = try StrataDataset(path: dir + "/q8", checkShardChecksums: true)
            #expect(q8.shards.count == 3 && q8.count == 7 && q8.metadata.dtype == .q8)
            #expect(q8.manifest?.metadata.quantization?.relError == nil) // per shard, not per dataset
            #expect(q8.shards.allSatisfy { $0.metadata.quantization?.relError != nil })
            let inspect = try CLIRunner.run(["inspect", dir + "/q8", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
            let quantization = try #require(object["quantization"] as? [String: Any])
            #expect((quantization["rel_error_per_shard"] as? [Any])?.count == 3)
            let combined = try #require(quantization["rel_error"] as? [String: Any])
            #expect(combined["vectors"] as? Int == q8.shards.reduce(0) { $0 + ($1.metadata.quantization?.relError?.vectors ?? 0) })
            // q8 blocks are copied as stored by shard and merge; merge refuses a different bound.
            let resharded = try CLIRunner.run(["shard", dir + "/q8", "--out", dir + "/q8-one", "--records-per-shard", "7"])
            #expect(resharded.status == 0, "\(resharded.stderr)")
            let one = try StrataDataset(path: dir + "/q8-one")
            for i in 0..<7 { #expect(try one.readFloat(i) == q8.readFloat(i)) }
            #expect(
                try CLIRunner.run(["convert", dir + "/a.strata", "--out", dir + "/loose.strata", "--dtype", "q8", "--max-rel-error", "0.02"]
                ).status == 0)
            let merge = try CLIRunner.run(["merge", dir + "/q8", dir + "/loose.strata", "--out", dir + "/merged"])
            #expect(merge.status != 0 && merge.stderr.contains("quantization.max_rel_error"), "\(merge.stderr)")
            // A second run refuses the finished output instead of overwriting it.
            #expect(try CLIRunner.run(["convert", dir + "/ds", "--out", dir + "/q8", "--dtype", "q8"]).status != 0)
            // synth measures before writing, so its shard records the figures too; a q8 dataset converts back to bf16.
            try Self.synth(dir + "/direct.strata", dtype: "q8", records: 3, seed: 9)
            let direct = try ShardReader(path: dir + "/direct.strata")
            #expect(direct.metadata.quantization?.relError?.vectors ?? 0 > 0)
            let back = try CLIRunner.run(["convert", dir + "/direct.strata", "--out", dir + "/back.strata", "--dtype", "bf16"])
            #expect(back.status == 0, "\(back.stderr)")
            let bf16 = try ShardReader(path: dir + "/back.strata")
            #expect(bf16.metadata.dtype == .bf16 && bf16.metadata.quantization == nil && bf16.version.minor == 0)
            #expect(try bf16.readFloat(1) == direct.readFloat(1).map { StrataConvert.bf16ToF32(StrataConvert.f32ToBF16($0)) })
        }
    }

    @Test func importHDF5StoresQ8WithinTheBoundAndExportRefusesIt() throws {
        try withTemporaryDirectory { dir in
            let source = dir + "/in.strata", h5 = dir + "/x.h5", back = dir + "/back.strata"
            try Self.synth(source, dtype: "f16")
            #expect(try CLIRunner.run(["export-hdf5", source, h5]).status == 0)
            let imported = try CLIRunner.run(["import-hdf5", h5, back, "--dtype", "q8", "--max-rel-error", "0.009"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("stored as q8"))
            let f16 = try ShardReader(path: source), q8 = try ShardReader(path: back)
            #expect(q8.metadata.dtype == .q8 && q8.metadata.quantization?.maxRelError == 0.009)
            for i in 0..<f16.count {
                #expect(relativeL2Errors(try f16.readFloat(i), try q8.readFloat(i), hidden: 96).allSatisfy { $0 <= 0.009 * (1 + 1e-6) })
            }
            let export = try CLIRunner.run(["export-hdf5", back, dir + "/again.h5"])
            #expect(export.status != 0 && export.stderr.contains("q8"), "\(export.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/again.h5"))
            let wrong = try CLIRunner.run(["import-hdf5", h5, dir + "/w.strata", "--dtype", "bf16"])
            #expect(wrong.status != 0 && wrong.stderr.contains("--dtype"))
        }
    }
}
