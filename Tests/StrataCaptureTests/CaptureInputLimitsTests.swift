import Foundation
import Strata
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataCapture

/// Inputs that would keep nothing (every row bad, no rows at all) and rows too long to be worth reading
/// or tokenising.
struct CaptureInputLimitsTests {
    /// Runs a capture of `lines` (JSONL) and returns the error it throws, or nil when it succeeds.
    static func captureError(
        _ lines: [String], in dir: String, name: String = "in.jsonl",
        configure: (inout CaptureOptions) -> Void = { _ in }
    ) throws -> Error? {
        let path = dir + "/" + name
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
        var options = CaptureFixture.options(model: dir + "/tiny.gguf", input: path, out: dir + "/out-\(name)")
        configure(&options)
        do {
            try CaptureJob(options: options).run()
            return nil
        } catch {
            return error
        }
    }

    @Test func everyRowBadIsRefusedNamingTheCommonestReasonAndTheFirstBadRow() throws {
        try withTemporaryDirectory { dir in
            _ = try CaptureFixture.model(in: dir)
            let lines = [
                #"{"text":"ok","label":"maybe"}"#, #"{"body":"one"}"#, #"{"body":"two"}"#, "", #"{"text":"x","label":"perhaps"}"#,
                #"{"body":"three"}"#
            ]
            let error = try #require(try Self.captureError(lines, in: dir) { $0.labelNames = ["neg", "pos"] })
            guard case CaptureError.nothingToCapture(_, let shard, let rows, let reason, let count, let first) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(shard == nil && rows == 5 && reason == .malformed && count == 3)
            #expect(first.row == 1 && first.reason == .badLabel && first.excerpt == #"{"text":"ok","label":"maybe"}"#)
            #expect("\(error)".contains("none of its 5 rows can be captured, most often malformed (3 of 5)"))
            #expect("\(error)".contains(#"first bad row 1: label 'maybe' is not an integer: {"text":"ok","label":"maybe"}"#))
            // Nothing was written.
            #expect(!FileManager.default.fileExists(atPath: dir + "/out-in.jsonl"))
        }
    }

    @Test(arguments: [[String](), ["", "  ", "\t"]])
    func anInputWithoutRowsNeedsAllowEmpty(lines: [String]) throws {
        try withTemporaryDirectory { dir in
            _ = try CaptureFixture.model(in: dir)
            for policy in BadRowPolicy.allCases {
                let error = try Self.captureError(lines, in: dir) { $0.badRowPolicy = policy }
                #expect(error.map { "\($0)" }?.contains("no data rows") == true, "\(policy): \(String(describing: error))")
            }
            #expect(try Self.captureError(lines, in: dir, name: "allowed.jsonl") { $0.allowEmpty = true } == nil)
            #expect(try StrataDataset(path: dir + "/out-allowed.jsonl").count == 0)
        }
    }

    @Test func aShardThatGetsNoRowsSaysSo() throws {
        try withTemporaryDirectory { dir in
            _ = try CaptureFixture.model(in: dir)
            let error = try #require(
                try Self.captureError([#"{"text":"a"}"#, #"{"text":"b"}"#], in: dir) {
                    $0.shard = try! CaptureShard(parsing: "2/3")
                })
            #expect("\(error)".contains("shard 2/3 gets none of the file's 2 data rows"), "\(error)")
        }
    }

    /// A text that no tokenisation fits into --max-tokens is skipped as too_long without being encoded;
    /// the reference tokenizer confirms it was too long, and texts that fit are still captured.
    @Test func textsThatCannotFitAreSkippedWithoutTokenising() throws {
        try withTemporaryDirectory { dir in
            let model = try CaptureFixture.model(in: dir)
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: model))
            let longest = try #require(tokenizer.longestTokenBytes)
            let maxTokens = 30
            let hopeless = String(repeating: "word ", count: (maxTokens * longest) / 5 + 1)
            #expect(tokenizer.encode(hopeless).count > maxTokens)
            let path = try CaptureFixture.jsonl(in: dir, texts: ["fits", hopeless, "fits too"])
            var options = CaptureFixture.options(model: model, input: path, out: dir + "/out")
            options.maxTokens = maxTokens
            let report = try CaptureJob(options: options).run()
            #expect(report.recordsWritten == 2)
            #expect(report.skipped == ["too_long": 1])
            let row = try #require(report.skippedRows.first)
            #expect(row.row == 2 && row.detail.contains("at least") && row.excerpt.hasPrefix("word word"))
        }
    }

    /// Rows over --max-row-bytes are counted as too_long in the report, with their size and an excerpt.
    @Test func rowsOverTheByteLimitAreReportedAsTooLong() throws {
        try withTemporaryDirectory { dir in
            let model = try CaptureFixture.model(in: dir)
            let big = #"{"id":"big","text":""# + String(repeating: "z", count: 5000) + #""}"#
            let path = dir + "/in.jsonl"
            try Data(([#"{"text":"small"}"#, big, #"{"text":"also small"}"#].joined(separator: "\n")).utf8).write(
                to: URL(fileURLWithPath: path))
            var options = CaptureFixture.options(model: model, input: path, out: dir + "/out")
            options.maxRowBytes = 1024
            let report = try CaptureJob(options: options).run()
            #expect(report.recordsWritten == 2 && report.skipped == ["too_long": 1])
            let row = try #require(report.skippedRows.first)
            #expect(row.row == 2 && row.detail.contains("\(big.utf8.count) bytes") && row.excerpt.hasPrefix(#"{"id":"big","text":"zzz"#))
            let json =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/capture-report.json")))
                as? [String: Any]
            let rows = try #require(json?["skipped_rows"] as? [[String: Any]])
            #expect(rows.first?["excerpt"] as? String == row.excerpt)
        }
    }
}
