import Foundation
import Strata
import StrataTestSupport
import Testing

/// `strata capture` end to end through the built binary, on models written by `strata synth-model`.
@Suite struct CaptureCommandTests {
    /// A JSONL input of `count` rows (ids r0, r1, ...; labels 0/1) cycling through a few sentences.
    static func writeInput(_ path: String, count: Int) throws {
        let sentences = [
            "the film is a delight", "a dull and lifeless story that goes on and on",
            "it is the best thing in years", "nothing works here", "an honest, moving portrait of a family"
        ]
        var text = ""
        for i in 0..<count {
            let object: [String: Any] = ["id": "r\(i)", "text": "\(sentences[i % sentences.count]) (\(i))", "label": i % 2]
            text += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func synthModel(_ path: String, _ extra: [String] = []) throws {
        let result = try CLIRunner.run(["synth-model", "--out", path] + extra)
        try #require(result.status == 0, "synth-model failed: \(result.stderr)")
    }

    /// Ids and f32 values of every record, in dataset order.
    static func contents(_ path: String) throws -> [(id: String, values: [Float])] {
        let dataset = try StrataDataset(path: path)
        return try (0..<dataset.count).map { (try dataset.info($0).id, try dataset.readFloat($0)) }
    }

    @Test func captureVerifyInspect() throws {
        try withTemporaryDirectory { dir in
            try Self.synthModel(dir + "/m.gguf")
            try Self.writeInput(dir + "/in.jsonl", count: 12)
            let capture = try CLIRunner.run([
                "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/out",
                "--layers", "0,last", "--dtype", "f16", "--label-names", "neg,pos", "--threads", "1"
            ])
            #expect(capture.status == 0, "\(capture.stderr)")
            #expect(capture.stdout == dir + "/out\n")
            #expect(capture.stderr.contains("captured 12 records"))
            #expect(capture.stderr.contains("skipped 0 rows"))
            let verify = try CLIRunner.run(["verify", dir + "/out"])
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(verify.stdout.contains("12 records"))
            let inspect = try CLIRunner.run(["inspect", dir + "/out", "--json"])
            #expect(inspect.status == 0, "\(inspect.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
            #expect(object?["records"] as? Int == 12)
            #expect(object?["dtype"] as? String == "f16")
            let dataset = try StrataDataset(path: dir + "/out")
            #expect(dataset.metadata.layers.map(\.kind) == ["embedding", "final_norm"])
            #expect(dataset.metadata.labelNames == ["neg", "pos"])
            #expect(try dataset.info(11).id == "r11" && (try dataset.info(11).labels) == [1])
        }
    }

    /// `--dtype q8` stores the same forward pass as `--dtype f32` within the bound (the f32 capture is the reference).
    @Test func captureQ8StaysWithinTheBoundOfTheF32Capture() throws {
        try withTemporaryDirectory { dir in
            try Self.synthModel(dir + "/m.gguf")
            try Self.writeInput(dir + "/in.jsonl", count: 6)
            for (dtype, out) in [("f32", "/f32"), ("q8", "/q8")] {
                let capture = try CLIRunner.run([
                    "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", dir + out,
                    "--dtype", dtype, "--max-rel-error", "0.008", "--threads", "1"
                ])
                #expect(capture.status == 0, "\(capture.stderr)")
            }
            let exact = try Self.contents(dir + "/f32"), lossy = try Self.contents(dir + "/q8")
            let hidden = try StrataDataset(path: dir + "/q8").metadata.hidden
            #expect(try StrataDataset(path: dir + "/q8").metadata.quantization?.maxRelError == 0.008)
            #expect(exact.map(\.id) == lossy.map(\.id))
            for (a, b) in zip(exact, lossy) {
                #expect(relativeL2Errors(a.values, b.values, hidden: hidden).allSatisfy { $0 <= 0.008 * (1 + 1e-6) })
            }
        }
    }

    @Test func refusesANonEmptyOutputAndReportsBadRows() throws {
        try withTemporaryDirectory { dir in
            try Self.synthModel(dir + "/m.gguf")
            try Self.writeInput(dir + "/in.jsonl", count: 3)
            let args = ["capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/out", "--threads", "1"]
            #expect(try CLIRunner.run(args).status == 0)
            let again = try CLIRunner.run(args)
            #expect(again.status != 0)
            #expect(again.stderr.contains("not empty") && again.stderr.contains("--resume"))

            try ("{\"text\": \"fine\"}\n{\"text\": \"\"}\n{\"text\": 3}\n").write(
                toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
            let fail = try CLIRunner.run([
                "capture", "--model", dir + "/m.gguf", "--input", dir + "/bad.jsonl", "--out", dir + "/o2",
                "--on-bad-row", "fail"
            ])
            #expect(fail.status != 0)
            #expect(fail.stderr.contains("bad.jsonl: row 2: empty_text"))
            let skip = try CLIRunner.run(["capture", "--model", dir + "/m.gguf", "--input", dir + "/bad.jsonl", "--out", dir + "/o3"])
            #expect(skip.status == 0, "\(skip.stderr)")
            #expect(skip.stderr.contains("skipped 2 rows: empty_text 1, malformed 1"))

            let help = try CLIRunner.run(["capture", "--help"])
            #expect(help.stdout.contains("196,608 bytes"))
            #expect(help.stdout.contains("--resume"))
        }
    }

    @Test func shardsMergeIntoEveryRecordOnce() throws {
        try withTemporaryDirectory { dir in
            try Self.synthModel(dir + "/m.gguf")
            try Self.writeInput(dir + "/in.jsonl", count: 9)
            for i in 0..<2 {
                let r = try CLIRunner.run([
                    "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/s\(i)",
                    "--shard", "\(i)/2", "--threads", "1"
                ])
                #expect(r.status == 0, "\(r.stderr)")
                #expect(FileManager.default.fileExists(atPath: dir + "/s\(i)/capture-s\(i)of2.part-00000.strata"))
            }
            let first = try Self.contents(dir + "/s0").map(\.id), second = try Self.contents(dir + "/s1").map(\.id)
            #expect(first == ["r0", "r2", "r4", "r6", "r8"])
            #expect(second == ["r1", "r3", "r5", "r7"])
            let merge = try CLIRunner.run(["merge", dir + "/s0", dir + "/s1", "--out", dir + "/all"])
            #expect(merge.status == 0, "\(merge.stderr)")
            #expect(try StrataDataset(path: dir + "/all").count == 9)
            #expect(try Self.contents(dir + "/all").map(\.id).sorted() == (0..<9).map { "r\($0)" }.sorted())
            #expect(try CLIRunner.run(["verify", dir + "/all"]).status == 0)
        }
    }

    @Test func killNineThenResumeEqualsAnUninterruptedRun() throws {
        try withTemporaryDirectory { dir in
            try Self.synthModel(dir + "/m.gguf", ["--blocks", "4", "--hidden", "64", "--feed-forward", "128"])
            try Self.writeInput(dir + "/in.jsonl", count: 150)
            func args(_ out: String) -> [String] {
                [
                    "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", out, "--dtype", "f32",
                    "--batch-tokens", "48", "--threads", "1", "--checkpoint-interval", "0.3"
                ]
            }
            let reference = try CLIRunner.run(args(dir + "/ref"))
            try #require(reference.status == 0, "\(reference.stderr)")

            // Kill the run once some records are on disk.
            let process = try CLIRunner.start(args(dir + "/killed"), stderr: dir + "/killed.log")
            let deadline = Date().addingTimeInterval(60)
            func bytesWritten() -> Int {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/killed")) ?? []
                return names.filter { $0.hasSuffix(".strata") }.reduce(0) { total, name in
                    total
                        + ((try? FileManager.default.attributesOfItem(atPath: dir + "/killed/" + name)[.size] as? NSNumber)?.intValue ?? 0)
                }
            }
            while process.isRunning && bytesWritten() < 100_000 && Date() < deadline { usleep(1000) }
            let killedMidRun = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(killedMidRun, "the capture finished before it could be killed; make the input longer")

            let resumed = try CLIRunner.run(args(dir + "/killed") + ["--resume"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stderr.contains("already captured"))
            let expected = try Self.contents(dir + "/ref"), actual = try Self.contents(dir + "/killed")
            #expect(actual.map(\.id) == expected.map(\.id))
            #expect(actual.count == 150)
            for (a, b) in zip(actual, expected) where a.values != b.values {
                Issue.record("record \(a.id) differs from the uninterrupted run")
                break
            }
            #expect(try CLIRunner.run(["verify", dir + "/killed"]).status == 0)
        }
    }

    @Test func workersWriteTheSameDatasetAsOneWorkerAndBenchUsesThem() throws {
        try withTemporaryDirectory { dir in
            try Self.synthModel(dir + "/m.gguf")
            try Self.writeInput(dir + "/in.jsonl", count: 40)
            // One worker on two threads against three single-threaded workers: the products run on one BLAS thread
            // either way, so the bytes agree on every CPU (README, "Determinism").
            for (workers, threads) in [("1", "2"), ("3", "1")] {
                let run = try CLIRunner.run([
                    "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out",
                    dir + "/w" + workers, "--batch-tokens", "40", "--workers", workers, "--threads", threads
                ])
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stderr.contains("\(workers) worker(s) × \(threads) thread(s)"))
            }
            let one = try Data(contentsOf: URL(fileURLWithPath: dir + "/w1/capture.part-00000.strata"))
            let three = try Data(contentsOf: URL(fileURLWithPath: dir + "/w3/capture.part-00000.strata"))
            #expect(one == three)

            let zero = try CLIRunner.run([
                "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/w0",
                "--workers", "0"
            ])
            #expect(zero.status != 0 && zero.stderr.contains("--workers 0: must be at least 1"))

            try "1 2 3 4\n5 6 7\n8 9\n".write(toFile: dir + "/t.ids", atomically: true, encoding: .utf8)
            let bench = try CLIRunner.run([
                "bench", "forward", "--model", dir + "/m.gguf", "--texts", dir + "/t.ids",
                "--batch-tokens", "4", "--workers", "2", "--threads", "1", "--repeats", "1"
            ])
            #expect(bench.status == 0, "\(bench.stderr)")
            #expect(bench.stdout.contains("2 worker(s) × 1 thread(s)") && bench.stdout.contains("(  3 batches)"))
        }
    }
}
