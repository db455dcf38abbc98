import Foundation
import StrataTestSupport
import Testing

/// `strata capture` on inputs that keep nothing must fail (naming why and the first bad row) instead of
/// writing an empty dataset and exiting 0; flags with a fixed set of values name them when refused.
@Suite struct CaptureInputCommandTests {
    /// A directory with the synthetic model `m.gguf` and a 3-row input `in.jsonl` (labels "neg"/"pos").
    static func setUp(_ dir: String) throws {
        try CaptureCommandTests.synthModel(dir + "/m.gguf")
        let rows = [
            #"{"id":"a","text":"the film is a delight","label":"pos"}"#, #"{"id":"b","text":"a dull story","label":"neg"}"#,
            #"{"id":"c","text":"nothing works","label":"neg"}"#
        ]
        try rows.map { $0 + "\n" }.joined().write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
    }

    static func capture(_ dir: String, _ args: [String], out: String = "out") throws -> CLIRunner.Result {
        try CLIRunner.run(
            ["capture", "--model", dir + "/m.gguf", "--out", dir + "/" + out, "--threads", "1", "--progress-interval", "0"] + args)
    }

    @Test(arguments: [
        (["--text-field", "nope"], "most often malformed (3 of 3)", #"first bad row 1: missing field 'nope': {"id":"a","text":"the film"#),
        (["--label-names", "negative,positive"], "most often bad_label (3 of 3)", "first bad row 1: label 'pos' is not an integer"),
        (["--input-is-markdown"], "most often malformed", "first bad row 1: malformed row: not valid JSON: # Notes")
    ])
    func capturesThatKeepNothingFailNamingTheReasonAndFirstBadRow(args: [String], reason: String, firstRow: String) throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            try "# Notes\n\nSome *markdown* text.\n".write(toFile: dir + "/notes.md", atomically: true, encoding: .utf8)
            let input = args == ["--input-is-markdown"] ? ["--input", dir + "/notes.md"] : ["--input", dir + "/in.jsonl"] + args
            let result = try Self.capture(dir, input)
            #expect(result.status != 0)
            #expect(result.stderr.contains("none of its") && result.stderr.contains(reason), "\(result.stderr)")
            #expect(result.stderr.contains(firstRow), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "a failed capture left an output")
        }
    }

    @Test func onBadRowFailStopsAtTheFirstRowWithAWrongTextField() throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            let result = try Self.capture(dir, ["--input", dir + "/in.jsonl", "--text-field", "nope", "--on-bad-row", "fail"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("in.jsonl: row 1: malformed: missing field 'nope'"), "\(result.stderr)")
        }
    }

    @Test(arguments: [("empty.jsonl", ""), ("blank.jsonl", "\n  \n\n"), ("header.csv", "text,label\n")])
    func inputsWithoutRowsFailUnlessAllowEmpty(name: String, contents: String) throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            try contents.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            for policy in ["skip", "fail"] {
                let result = try Self.capture(dir, ["--input", dir + "/" + name, "--on-bad-row", policy], out: "out-\(policy)")
                #expect(result.status != 0, "\(name) --on-bad-row \(policy) exited 0")
                #expect(result.stderr.contains("no data rows") && result.stderr.contains("--allow-empty"), "\(result.stderr)")
            }
            let allowed = try Self.capture(dir, ["--input", dir + "/" + name, "--allow-empty"])
            #expect(allowed.status == 0, "\(allowed.stderr)")
            let verify = try CLIRunner.run(["verify", dir + "/out"])
            #expect(verify.status == 0 && verify.stdout.contains("0 records"), "\(verify.stdout)\(verify.stderr)")
            #expect(try CLIRunner.run(["capture", "--help"]).stdout.contains("--allow-empty"))
        }
    }

    /// A row far over --max-row-bytes is skipped as too_long (with its size and an excerpt in the report)
    /// and the others are captured.
    @Test func overLongRowsAreSkippedAndReported() throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            let big = #"{"id":"big","text":""# + String(repeating: "long ", count: 20_000) + #""}"#
            try (try String(contentsOfFile: dir + "/in.jsonl", encoding: .utf8) + big + "\n").write(
                toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
            let result = try Self.capture(dir, ["--input", dir + "/in.jsonl", "--label-names", "neg,pos", "--max-row-bytes", "4K"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("skipped 1 rows: too_long 1"), "\(result.stderr)")
            let report =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/capture-report.json")))
                as? [String: Any]
            let row = try #require((report?["skipped_rows"] as? [[String: Any]])?.first)
            #expect(row["row"] as? Int == 4 && row["reason"] as? String == "too_long")
            #expect((row["detail"] as? String)?.contains("\(big.utf8.count) bytes") == true, "\(row)")
            #expect((row["excerpt"] as? String)?.hasPrefix(#"{"id":"big","text":"long long"#) == true, "\(row)")
        }
    }

    /// Enum-valued flags are parsed as such: a bad value names the allowed ones and the command's own usage.
    @Test(arguments: [
        (["train", "--data", "d", "--out", "p", "--probe", "x"], ["pooling", "gate", "mha", "last-token", "mean-last", "logits"]),
        (["train", "--data", "d", "--out", "p", "--probe", "gate", "--metric", "auc"], ["f1", "accuracy"]),
        (["capture", "--model", "m", "--input", "i", "--out", "o", "--dtype", "f64"], ["f32", "f16", "bf16"]),
        (["capture", "--model", "m", "--input", "i", "--out", "o", "--on-bad-row", "ignore"], ["skip", "fail"]),
        (["synth", "--out", "s.strata", "--records", "1", "--dtype", "int8"], ["f32", "f16", "bf16"]),
        (["merge", "a", "--out", "o", "--mode", "symlink"], ["link", "copy", "move"]),
        (["features", "--data", "d", "--out", "f.npy", "--pool", "sum"], ["mean", "max"])
    ])
    func badEnumValuesNameTheAllowedOnes(args: [String], allowed: [String]) throws {
        let result = try CLIRunner.run(args)
        #expect(result.status != 0)
        // ArgumentParser lists few values inline ('a', 'b') and many as a bulleted list (- a).
        for value in allowed {
            #expect(result.stderr.contains("'\(value)'") || result.stderr.contains("- \(value)\n"), "\(args): \(result.stderr)")
        }
        #expect(result.stderr.contains("Usage: strata \(args[0])"), "\(result.stderr)")
    }
}
