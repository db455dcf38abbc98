import Foundation
import StrataTestSupport
import Testing

/// End-to-end checks of `strata gguf-info` and `strata fetch-model` through the built binary.
struct GGUFCommandsTests {
    /// tiny.gguf, written by gguf-py (Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py).
    fileprivate static let tinyGGUF = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../StrataModelTests/Fixtures/gguf/tiny.gguf").standardizedFileURL

    fileprivate static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIRunner.Result {
        try CLIRunner.run(arguments, environment: environment)
    }

    @Test func ggufInfoJSON() throws {
        let result = try Self.run(["gguf-info", "--model", Self.tinyGGUF.path, "--json"])
        try #require(result.status == 0, "gguf-info failed: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["version"] as? Int == 3)
        #expect(json["architecture"] as? String == "llama")
        #expect(json["tensor_count"] as? Int == 6)
        let types = try #require(json["tensor_types"] as? [String: [String: Int]])
        #expect(types.mapValues { $0["count"] ?? 0 } == ["F32": 2, "F16": 1, "Q8_0": 1, "Q4_1": 1, "Q6_K": 1])
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect(metadata["test.u8"] as? Int == 200)
        #expect(metadata["test.strings"] as? [String] == ["<s>", "</s>", "Ġthe", "héllo", "", "🦙"])
    }

    @Test func ggufInfoText() throws {
        let result = try Self.run(["gguf-info", "--model", Self.tinyGGUF.path, "--tensors"])
        try #require(result.status == 0, "gguf-info failed: \(result.stderr)")
        #expect(result.stdout.contains("GGUF version:  3"))
        #expect(result.stdout.contains("architecture:  llama"))
        #expect(result.stdout.contains("t.q4_1  Q4_1  [32, 3]"))
    }

    /// gguf-info says whether Strata can build the file's tokenizer: the SentencePiece test model can, and
    /// tiny.gguf (no tokenizer metadata) cannot, with the reason.
    @Test func ggufInfoSaysWhetherTheTokenizerIsSupported() throws {
        let spm = Self.tinyGGUF.deletingLastPathComponent().appendingPathComponent("../tokenizer/spm-gemma.gguf")
            .standardizedFileURL
        let supported = try Self.run(["gguf-info", "--model", spm.path])
        try #require(supported.status == 0, "gguf-info failed: \(supported.stderr)")
        #expect(
            supported.stdout.contains("tokenizer:     llama: supported (SentencePiece, 1000 tokens)"),
            "\(supported.stdout)")
        let json = try Self.run(["gguf-info", "--model", spm.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let tokenizer = try #require(object["tokenizer"] as? [String: Any])
        #expect(tokenizer["supported"] as? Bool == true && tokenizer["kind"] as? String == "SentencePiece")
        #expect(tokenizer["model"] as? String == "llama" && tokenizer["vocab_size"] as? Int == 1000)

        let unsupported = try Self.run(["gguf-info", "--model", Self.tinyGGUF.path, "--json"])
        let tiny = try #require(try JSONSerialization.jsonObject(with: Data(unsupported.stdout.utf8)) as? [String: Any])
        let tinyTokenizer = try #require(tiny["tokenizer"] as? [String: Any])
        #expect(tinyTokenizer["supported"] as? Bool == false)
        #expect((tinyTokenizer["problem"] as? String)?.contains("tokenizer.ggml.model") == true, "\(tinyTokenizer)")
    }

    @Test func ggufInfoRejectsNonGGUF() throws {
        let result = try Self.run(["gguf-info", "--model", #filePath])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not a GGUF file"))
        #expect(result.stderr.contains("GGUFCommandsTests.swift"))
    }

    @Test func fetchModelRejectsUnknownModel() throws {
        let result = try Self.run(["fetch-model", "no-such-model"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown model 'no-such-model' (known: smollm2)"))
    }

    /// With the model already cached (here: a symbolic link to the real file), fetch-model verifies it,
    /// downloads nothing and prints the path.
    @Test(.needsRealModel) func fetchModelIsIdempotent() throws {
        let real = try #require(Requirements.realModelPath)
        try withTemporaryDirectoryURL { dir in
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
            let cached = dir.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
            try FileManager.default.createSymbolicLink(atPath: cached, withDestinationPath: real)
            let result = try Self.run(["fetch-model", "smollm2"], environment: ["STRATA_HOME": dir.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == cached + "\n")
            #expect(result.stderr.contains("already present and verified"))
            #expect(!result.stderr.contains("downloading"))
        }
    }
}
