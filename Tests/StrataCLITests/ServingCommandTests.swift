import Foundation
import StrataTestSupport
import Testing

/// `strata classify` and `strata generate` end to end on a tiny synthetic model, against the offline path
/// (`strata capture --dtype f32` → `strata train` → `strata eval --predictions`).
struct ServingCommandTests {
    static let texts = [
        "the cat sat on the mat", "it is a fine day and the sun is out", "an awful, terrible film; hated it",
        "the best thing in the world", "bad bad bad and worse", "on the other hand it was fine",
        "what a waste of time", "I loved it, the end is great", "a"
    ]

    /// Fills the working folder `dir` with a tiny model and its input texts.
    static func setUp(_ dir: String) throws {
        try expectOK(["synth-model", "--out", dir + "/tiny.gguf", "--blocks", "3", "--seed", "4"])
        var lines = ""
        for (i, text) in texts.enumerated() {
            let data = try JSONSerialization.data(withJSONObject: ["id": "t\(i)", "text": text, "label": i % 2], options: [.sortedKeys])
            lines += String(decoding: data, as: UTF8.self) + "\n"
        }
        try lines.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
    }

    @discardableResult
    static func expectOK(_ args: [String]) throws -> CLIRunner.Result {
        let result = try CLIRunner.run(args)
        #expect(result.status == 0, "strata \(args.joined(separator: " ")) failed: \(result.stderr)")
        return result
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// Same pass, same answer: classify's probability equals the offline path's for every text and kind,
    /// on raw texts and with the chat template (capture and classify both given --chat-template --system).
    @Test(arguments: ["pooling", "gate", "mha"], [[], ["--chat-template", "--system", "Be brief."]])
    func classifyEqualsCaptureAndEval(kind: String, prompt: [String]) throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            // Captured layers 0, 2, 3 and a probe on two of them: classify must map positions to hidden states.
            try Self.expectOK(
                [
                    "capture", "--model", dir + "/tiny.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/ds",
                    "--dtype", "f32", "--layers", "0,2,3", "--label-names", "benign,harmful"
                ] + prompt)
            try Self.expectOK([
                "train", "--data", dir + "/ds", "--probe", kind, "--out", dir + "/p.probe", "--epochs", "2",
                "--val-fraction", "0", "--layers", "3,0", "--heads", "2", "--downcast", "4", "--quiet"
            ])
            try Self.expectOK(["eval", "--probe", dir + "/p.probe", "--data", dir + "/ds", "--predictions", dir + "/offline.jsonl"])
            let classified = try Self.expectOK(
                [
                    "classify", "--model", dir + "/tiny.gguf", "--probe", dir + "/p.probe",
                    "--input", dir + "/in.jsonl", "--json"
                ] + prompt)
            #expect(!classified.stderr.contains("warning"), "layer map and prompt format should match the checkpoint: \(classified.stderr)")
            let offline = try Self.jsonLines(String(contentsOfFile: dir + "/offline.jsonl", encoding: .utf8))
            let live = try Self.jsonLines(classified.stdout)
            #expect(live.count == Self.texts.count && offline.count == Self.texts.count)
            let offlineByID = Dictionary(uniqueKeysWithValues: offline.map { ($0["id"] as? String ?? "", $0) })
            for row in live {
                let id = try #require(row["id"] as? String)
                let reference = try #require(offlineByID[id])
                let p = try #require(row["probability"] as? Double), q = try #require(reference["probability"] as? Double)
                #expect(abs(p - q) <= 1e-4, "\(kind) \(id): classify \(p) vs capture+eval \(q)")
                #expect(row["predicted"] as? Int == reference["predicted"] as? Int)
                #expect(row["predicted_name"] as? String == (row["predicted"] as? Int == 1 ? "harmful" : "benign"))
            }

            // --text gives the same probability as the record in the file.
            let single = try Self.expectOK(
                [
                    "classify", "--model", dir + "/tiny.gguf", "--probe", dir + "/p.probe",
                    "--text", Self.texts[2], "--json"
                ] + prompt)
            let p = try #require(try Self.jsonLines(single.stdout).first?["probability"] as? Double)
            let q = try #require(offlineByID["t2"]?["probability"] as? Double)
            #expect(abs(p - q) <= 1e-4)

            // Fed the other way, the probe sees other tokens: classify warns, naming the training format.
            let other = prompt.isEmpty ? ["--chat-template"] : []
            let mismatched = try Self.expectOK(
                [
                    "classify", "--model", dir + "/tiny.gguf", "--probe", dir + "/p.probe",
                    "--text", Self.texts[2], "--json"
                ] + other)
            #expect(
                mismatched.stderr.contains("warning") && mismatched.stderr.contains(prompt.isEmpty ? "raw texts" : "chatml"),
                "\(mismatched.stderr)")
            let q2 = try #require(try Self.jsonLines(mismatched.stdout).first?["probability"] as? Double)
            #expect(abs(q2 - q) > 1e-6, "another prompt format gives another probability")
        }
    }

    /// A guard trained on templated captures is fed the prompt generate builds (no warning); --raw warns.
    @Test func generateWarnsWhenTheGuardsPromptFormatDiffers() throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            try Self.expectOK([
                "capture", "--model", dir + "/tiny.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/ds",
                "--dtype", "f32", "--chat-template"
            ])
            try Self.expectOK([
                "train", "--data", dir + "/ds", "--probe", "pooling", "--out", dir + "/p.probe", "--epochs", "1",
                "--val-fraction", "0", "--quiet"
            ])
            let base = [
                "generate", "--model", dir + "/tiny.gguf", "--prompt", "the cat", "--max-tokens", "2",
                "--guard", dir + "/p.probe", "--json"
            ]
            let templated = try Self.expectOK(base)
            #expect(!templated.stderr.contains("warning"), "\(templated.stderr)")
            let raw = try Self.expectOK(base + ["--raw"])
            #expect(raw.stderr.contains("warning") && raw.stderr.contains("chatml"), "\(raw.stderr)")
            // The templated guard's probability on the prompt equals classify --chat-template's.
            let classified = try Self.expectOK([
                "classify", "--model", dir + "/tiny.gguf", "--probe", dir + "/p.probe",
                "--text", "the cat", "--chat-template", "--json"
            ])
            let p = try #require(try Self.jsonLines(templated.stdout).first?["probability"] as? Double)
            let q = try #require(try Self.jsonLines(classified.stdout).first?["probability"] as? Double)
            #expect(abs(p - q) <= 1e-4)
        }
    }

    /// The guard decides before any token: threshold 0 flags every prompt, a threshold above 1 none.
    @Test func generateWithGuard() throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            try Self.expectOK([
                "capture", "--model", dir + "/tiny.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/ds",
                "--dtype", "f32"
            ])
            try Self.expectOK([
                "train", "--data", dir + "/ds", "--probe", "gate", "--out", dir + "/p.probe", "--epochs", "1",
                "--val-fraction", "0", "--quiet"
            ])
            let model = dir + "/tiny.gguf", probe = dir + "/p.probe"
            let plain = try Self.jsonLines(
                Self.expectOK([
                    "generate", "--model", model, "--prompt", "the cat", "--raw",
                    "--max-tokens", "6", "--json"
                ]).stdout)[0]
            #expect(plain["refused"] as? Bool == false)
            #expect((plain["tokens"] as? Int ?? 99) <= 6)

            let refused = try Self.jsonLines(
                Self.expectOK([
                    "generate", "--model", model, "--prompt", "the cat", "--raw",
                    "--max-tokens", "6", "--guard", probe, "--threshold", "0", "--json"
                ]).stdout)[0]
            #expect(refused["refused"] as? Bool == true)
            #expect(refused["text"] == nil && refused["tokens"] == nil)
            let p = try #require(refused["probability"] as? Double)
            #expect(p > 0 && p < 1)

            let answered = try Self.jsonLines(
                Self.expectOK([
                    "generate", "--model", model, "--prompt", "the cat", "--raw",
                    "--max-tokens", "6", "--guard", probe, "--threshold", "1.5", "--json"
                ]).stdout)[0]
            #expect(answered["refused"] as? Bool == false)
            #expect(answered["text"] as? String == plain["text"] as? String)
            #expect(abs((answered["probability"] as? Double ?? -1) - p) <= 1e-6)

            let text = try Self.expectOK([
                "generate", "--model", model, "--prompt", "the cat", "--raw", "--max-tokens", "6",
                "--guard", probe, "--threshold", "0"
            ])
            #expect(text.stdout.hasPrefix("refused:"))
        }
    }

    /// `bench serve` keeps the interface tools/main-job relies on: --probe (repeatable), --json, --out.
    @Test func benchServeWritesTheServingTable() throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            try Self.expectOK([
                "capture", "--model", dir + "/tiny.gguf", "--input", dir + "/in.jsonl", "--out", dir + "/ds",
                "--dtype", "f32"
            ])
            for kind in ["pooling", "gate"] {
                try Self.expectOK([
                    "train", "--data", dir + "/ds", "--probe", kind, "--out", dir + "/\(kind).probe",
                    "--epochs", "1", "--val-fraction", "0", "--quiet"
                ])
            }
            let result = try Self.expectOK([
                "bench", "serve", "--model", dir + "/tiny.gguf", "--json", "--out", dir + "/serving.json",
                "--probe", dir + "/pooling.probe", "--probe", dir + "/gate.probe",
                "--texts", dir + "/in.jsonl", "--lengths", "12,3", "--runs", "1"
            ])
            let written = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/serving.json"))) as? [String: Any])
            let printed = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            for report in [written, printed] {
                let prompts = try #require(report["prompts"] as? [[String: Any]])
                #expect(prompts.map { $0["tokens"] as? Int } == [12, 3])
                for prompt in prompts {
                    #expect((prompt["base_ms"] as? Double ?? 0) > 0)
                    let probes = try #require(prompt["probes"] as? [String: [String: Any]])
                    #expect(Set(probes.keys) == ["pooling", "gate"])
                    for (kind, row) in probes {
                        #expect(row["ms"] is Double && row["overhead_pct"] is Double, "\(kind)")
                        // At least the parameters' bytes (the scratch comes on top).
                        #expect((row["extra_bytes"] as? Int ?? 0) >= (row["parameters"] as? Int ?? 1) * 4)
                    }
                }
            }
            // Without --probe, random pooling, gate and MHA probes over every hidden state are measured.
            let random = try Self.expectOK([
                "bench", "serve", "--model", dir + "/tiny.gguf", "--json", "--texts", dir + "/in.jsonl",
                "--lengths", "5", "--runs", "1"
            ])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(random.stdout.utf8)) as? [String: Any])
            let probes = try #require((report["prompts"] as? [[String: Any]])?.first?["probes"] as? [String: Any])
            #expect(Set(probes.keys) == ["pooling", "gate", "mha"])
        }
    }

    @Test func badArgumentsAreReported() throws {
        try withTemporaryDirectory { dir in
            try Self.setUp(dir)
            let both = try CLIRunner.run(["classify", "--model", dir + "/tiny.gguf", "--probe", "x", "--text", "a", "--input", "b"])
            #expect(both.status != 0 && both.stderr.contains("exactly one of --text and --input"))
            let missing = try CLIRunner.run(["classify", "--model", dir + "/tiny.gguf", "--probe", dir + "/none.probe", "--text", "a"])
            #expect(missing.status != 0 && missing.stderr.contains("none.probe"))
        }
    }
}
