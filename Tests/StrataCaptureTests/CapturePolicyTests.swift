import Foundation
import Strata
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataCapture

/// Bad rows (skip/fail per reason with row numbers), --max-tokens/--truncate, sharding, option parsing.
struct CapturePolicyTests {
    /// Rows 1–3 good, then one bad row per reason. Row numbers: 4 malformed, 5 empty, 6 invalid UTF-8,
    /// 7 too long, 8 bad label (not a class), 9 duplicate id, 10 good.
    static func mixedInput(in dir: String) throws -> String {
        let long = String(repeating: "word ", count: 40)
        let lines: [[UInt8]] = [
            Array(#"{"id":"a","text":"good one","label":"pos"}"#.utf8),
            Array(#"{"id":"b","text":"good two","label":0}"#.utf8),
            Array(#"{"id":"c","text":"good three"}"#.utf8),
            Array(#"{"id":"d","text":"#.utf8),
            Array(#"{"id":"e","text":"","label":1}"#.utf8),
            Array(#"{"id":"f","text":"bad "#.utf8) + [0xC3, 0x28] + Array(#"","label":1}"#.utf8),
            Array(#"{"id":"g","text":"\#(long)","label":1}"#.utf8),
            Array(#"{"id":"h","text":"label out of range","label":5}"#.utf8),
            Array(#"{"id":"a","text":"same id as row 1","label":1}"#.utf8),
            Array(#"{"id":"j","text":"good last","label":"neg"}"#.utf8)
        ]
        let path = dir + "/mixed.jsonl"
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func badRowsAreSkippedAndCountedPerReason() throws {
        try withTemporaryDirectory { dir in
            var options = CaptureFixture.options(
                model: try CaptureFixture.model(in: dir), input: try Self.mixedInput(in: dir), out: dir + "/out")
            options.maxTokens = 30
            options.labelNames = ["neg", "pos"]
            let report = try CaptureJob(options: options).run()
            #expect(
                report.skipped == ["malformed": 1, "empty_text": 1, "invalid_utf8": 1, "too_long": 1, "bad_label": 1, "duplicate_id": 1])
            #expect(report.skippedRows.map(\.row) == [4, 5, 6, 7, 8, 9])
            #expect(report.skippedRows.map(\.reason) == [.malformed, .emptyText, .invalidUTF8, .tooLong, .badLabel, .duplicateID])
            let records = try CaptureFixture.records(dir + "/out")
            #expect(records.map(\.info.id) == ["a", "b", "c", "j"])
            #expect(records.map(\.info.labels) == [[1], [0], [], [0]])
            #expect(records.map { $0.info.metadata["row"] } == ["1", "2", "3", "10"])
            #expect(try StrataDataset(path: dir + "/out").metadata.labelNames == ["neg", "pos"])
            // The report on disk says the same.
            let json =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/capture-report.json")))
                as? [String: Any]
            #expect((json?["skipped"] as? [String: Int]) == report.skipped)
            #expect(json?["records_written"] as? Int == 4)
        }
    }

    @Test func failPolicyNamesTheFirstBadRowAndWritesNothing() throws {
        try withTemporaryDirectory { dir in
            let input = try Self.mixedInput(in: dir)
            var options = CaptureFixture.options(model: try CaptureFixture.model(in: dir), input: input, out: dir + "/out")
            options.badRowPolicy = .fail
            options.maxTokens = 30
            options.labelNames = ["neg", "pos"]
            #expect {
                try CaptureJob(options: options).run()
            } throws: { error in
                guard case CaptureError.badRow(let path, let row, let reason, _) = error else { return false }
                return path == input && row == 4 && reason == .malformed && "\(error)".contains("row 4")
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/manifest.json"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir + "/out")) ?? []).isEmpty)

            // Each reason alone is fatal too, with its own row number.
            let long = String(repeating: "word ", count: 40)
            let cases: [(String, SkipReason)] = [
                (#"{"text":"\#(long)"}"#, .tooLong), (#"{"text":""}"#, .emptyText),
                (#"{"text":"x","label":"maybe"}"#, .badLabel)
            ]
            for (index, (line, reason)) in cases.enumerated() {
                let path = try CaptureFixture.jsonl(in: dir, name: "one-\(index).jsonl", texts: ["fine"], extraLines: [Array(line.utf8)])
                var o = CaptureFixture.options(model: options.modelPath, input: path, out: dir + "/out-\(index)")
                o.badRowPolicy = .fail
                o.maxTokens = 30
                #expect {
                    try CaptureJob(options: o).run()
                } throws: { error in
                    guard case CaptureError.badRow(_, let row, let r, _) = error else { return false }
                    return row == 2 && r == reason
                }
            }
        }
    }

    @Test func truncateKeepsTheFirstTokens() throws {
        try withTemporaryDirectory { dir in
            var options = try CaptureFixture.standardOptions(in: dir, out: dir + "/out")
            let modelPath = options.modelPath
            options.maxTokens = 5
            options.truncate = true
            let report = try CaptureJob(options: options).run()
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: modelPath))
            let records = try CaptureFixture.records(dir + "/out")
            #expect(records.count == CaptureFixture.texts.count)
            var truncated = 0
            for (i, record) in records.enumerated() {
                let full = tokenizer.encode(CaptureFixture.texts[i])
                #expect(record.info.tokenIDs == Array(full.prefix(5)))
                if full.count > 5 {
                    truncated += 1
                    #expect(record.info.metadata["truncated_from"] == String(full.count))
                }
            }
            #expect(truncated > 0 && report.truncated == truncated)
        }
    }

    @Test func defaultMaxTokensIsTheContextLength() throws {
        try withTemporaryDirectory { dir in
            let options = CaptureFixture.options(
                model: try CaptureFixture.model(in: dir, contextLength: 8),
                input: try CaptureFixture.jsonl(in: dir), out: dir + "/out")
            let report = try CaptureJob(options: options).run()
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: options.modelPath))
            let long = CaptureFixture.texts.filter { tokenizer.encode($0).count > 8 }.count
            #expect(long > 0 && report.skipped["too_long"] == long)
            #expect(report.recordsWritten == CaptureFixture.texts.count - long)
        }
    }

    @Test func shardsAreDisjointCompleteAndMerge() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try CaptureFixture.model(in: dir)
            let input = try CaptureFixture.jsonl(in: dir)
            var whole = CaptureFixture.options(model: modelPath, input: input, out: dir + "/whole")
            whole.batchTokens = 1
            whole.dtype = .f32
            try CaptureJob(options: whole).run()
            let reference = Dictionary(uniqueKeysWithValues: try CaptureFixture.records(dir + "/whole").map { ($0.info.id, $0.values) })

            let n = 3
            var seen: [String] = []
            for i in 0..<n {
                var options = whole
                options.outputDirectory = dir + "/s\(i)"
                options.shard = try CaptureShard(index: i, count: n)
                let report = try CaptureJob(options: options).run()
                #expect(report.rowsInShard == (CaptureFixture.texts.count - i + n - 1) / n)
                let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/s\(i)").filter { $0.hasSuffix(".strata") }
                #expect(names == ["capture-s\(i)of\(n).part-00000.strata"])
                for record in try CaptureFixture.records(dir + "/s\(i)") {
                    let row = Int(record.info.metadata["row"] ?? "") ?? -1
                    #expect((row - 1) % n == i)
                    #expect(record.values == reference[record.info.id])
                    seen.append(record.info.id)
                }
            }
            #expect(seen.sorted() == reference.keys.sorted()) // disjoint and complete

            // The reduce step: merging the shard outputs gives one dataset with every record once.
            let merged = try DatasetMerge.merge(inputs: (0..<n).map { dir + "/s\($0)" }, into: dir + "/merged", mode: .copy)
            #expect(merged.manifest.records == CaptureFixture.texts.count)
            let ids = try CaptureFixture.records(dir + "/merged").map(\.info.id)
            #expect(ids.sorted() == reference.keys.sorted())
            _ = try StrataVerifier.verify(path: dir + "/merged")
        }
    }

    @Test func existingOutputNeedsResume() throws {
        try withTemporaryDirectory { dir in
            let options = CaptureFixture.options(
                model: try CaptureFixture.model(in: dir), input: try CaptureFixture.jsonl(in: dir), out: dir + "/out")
            try CaptureJob(options: options).run()
            #expect {
                try CaptureJob(options: options).run()
            } throws: { error in
                guard case CaptureError.outputNotEmpty = error else { return false }
                return "\(error)".contains("--resume") && "\(error)".contains("--out")
            }
            // Resuming a finished capture writes nothing new.
            var resume = options
            resume.resume = true
            let report = try CaptureJob(options: resume).run()
            #expect(report.recordsWritten == 0 && report.alreadyCaptured == CaptureFixture.texts.count)
            #expect(try StrataDataset(path: dir + "/out").count == CaptureFixture.texts.count)
            // ... but refuses other settings, naming the field.
            resume.dtype = .f16
            #expect {
                try CaptureJob(options: resume).run()
            } throws: { error in
                guard case CaptureError.resumeMismatch(_, let field, _, _) = error else { return false }
                return field == "dtype"
            }
            // Another shard's files in the same directory are refused.
            var other = options
            other.resume = true
            other.shard = try CaptureShard(index: 1, count: 2)
            #expect(throws: CaptureError.self) { try CaptureJob(options: other).run() }
        }
    }

    @Test func optionParsing() throws {
        #expect(try LayerSelection(parsing: "all") == .all)
        #expect(try LayerSelection(parsing: "0,5,10").resolve(blocks: 30).map(\.index) == [0, 5, 10])
        #expect(try LayerSelection(parsing: "30,0-2,last").resolve(blocks: 30).map(\.kind) == ["embedding", "block", "block", "final_norm"])
        #expect(throws: CaptureError.self) { try LayerSelection(parsing: "31").resolve(blocks: 30) }
        #expect(throws: CaptureError.self) { try LayerSelection(parsing: "1,x") }
        #expect(throws: CaptureError.self) { try LayerSelection(parsing: "") }
        #expect(try CaptureShard(parsing: "1/4") == (try CaptureShard(index: 1, count: 4)))
        #expect(throws: CaptureError.self) { try CaptureShard(parsing: "4/4") }
        #expect(throws: CaptureError.self) { try CaptureShard(parsing: "1") }
        let shard = try CaptureShard(index: 2, count: 3)
        #expect((1...9).filter { shard.contains(row: $0) } == [3, 6, 9])
    }
}
