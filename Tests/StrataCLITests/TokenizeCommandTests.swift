import Foundation
import StrataTestSupport
import Testing

/// End-to-end checks of `strata tokenize` through the built binary, against the Hugging Face ids of the
/// committed fixtures (Tests/StrataModelTests/Fixtures/tokenizer/smollm2.json, spm.json).
struct TokenizeCommandTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../StrataModelTests/Fixtures").standardizedFileURL

    private struct Case: Decodable { let text: String; let ids: [Int32] }
    private struct Fixture: Decodable { let cases: [Case] }

    private static func fixtureCases() throws -> [Case] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tokenizer/smollm2.json"))
        return try JSONDecoder().decode(Fixture.self, from: data).cases
    }

    private static func run(_ arguments: [String]) throws -> CLIRunner.Result {
        try CLIRunner.run(arguments)
    }

    private static func parseLines(_ stdout: String) throws -> [[Int32]] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode([Int32].self, from: Data($0.utf8)) }
    }

    @Test(.needsRealModel) func textPrintsThePublishedIds() throws {
        // Each run loads the tokenizer (slow in debug builds), so only a few hand-written cases: special
        // tokens, whitespace runs, contractions, scripts and emoji.
        let wanted = ["<|im_start|>system", "mixed \t", "'s 't", "Emoji:"]
        let cases = try Self.fixtureCases().filter { c in wanted.contains { c.text.hasPrefix($0) } }
        #expect(cases.count == wanted.count)
        for testCase in cases {
            let result = try Self.run(["tokenize", "--model", "smollm2", "--text", testCase.text])
            try #require(result.status == 0, "tokenize failed: \(result.stderr)")
            #expect(try Self.parseLines(result.stdout) == [testCase.ids], "text \(testCase.text.debugDescription)")
        }
    }

    @Test(.needsRealModel) func jsonlFilePrintsOneArrayPerRecord() throws {
        let cases = Array(try Self.fixtureCases().suffix(50))
        try withTemporaryDirectoryURL { directory in
            let file = directory.appendingPathComponent("texts.jsonl")
            let lines = try cases.map { String(decoding: try JSONEncoder().encode(["text": $0.text]), as: UTF8.self) }
            try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let result = try Self.run(["tokenize", "--model", "smollm2", "--file", file.path, "--jsonl", "--stats"])
            try #require(result.status == 0, "tokenize failed: \(result.stderr)")
            #expect(try Self.parseLines(result.stdout) == cases.map(\.ids))
            #expect(result.stderr.contains("texts 50,"))
        }
    }

    /// A SentencePiece GGUF (tokenizer.ggml.model llama) through the same command, against the Hugging Face ids
    /// of its fixture (Tests/StrataModelTests/Fixtures/tokenizer/gen_sentencepiece_fixture.py).
    @Test func sentencePieceModelPrintsThePublishedIds() throws {
        struct File: Decodable { let add_special_tokens: [[Int32]] }
        struct SentencePieceFixture: Decodable { let texts: [String]; let files: [String: File] }
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("tokenizer/spm.json"))
        let fixture = try JSONDecoder().decode(SentencePieceFixture.self, from: data)
        let expected = try #require(fixture.files["spm-llama.gguf"]).add_special_tokens
        try withTemporaryDirectoryURL { directory in
            let file = directory.appendingPathComponent("texts.jsonl")
            let lines = try fixture.texts.map { String(decoding: try JSONEncoder().encode(["text": $0]), as: UTF8.self) }
            try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let model = Self.fixtures.appendingPathComponent("tokenizer/spm-llama.gguf").path
            let result = try Self.run(["tokenize", "--model", model, "--file", file.path, "--jsonl"])
            try #require(result.status == 0, "tokenize failed: \(result.stderr)")
            #expect(try Self.parseLines(result.stdout) == expected)
        }
    }

    @Test func modelWithoutTokenizerIsReported() throws {
        let tiny = Self.fixtures.appendingPathComponent("gguf/tiny.gguf")
        let result = try Self.run(["tokenize", "--model", tiny.path, "--text", "hi"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("tokenizer.ggml"), "stderr: \(result.stderr)")
    }

    @Test func textAndFileTogetherAreRejected() throws {
        let result = try Self.run(["tokenize", "--model", "smollm2", "--text", "a", "--file", "b"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("exactly one of --text and --file"))
    }
}
