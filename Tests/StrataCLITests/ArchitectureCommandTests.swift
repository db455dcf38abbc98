import Foundation
import StrataTestSupport
import Testing

/// `strata capture`, `train`, `classify` and `generate --guard` end to end on the tiny Qwen3 and Gemma 2 models
/// of Tests/StrataModelTests/Fixtures/architectures (converted by llama.cpp's converter): the captured hidden
/// states equal transformers' (read back by the Python reader), classify gives capture + eval's probabilities,
/// and the guard screens generation.
struct ArchitectureCommandTests {
    static let families = ["qwen3", "gemma2"]

    static func fixture(_ family: String) -> String {
        Python.repositoryRoot.appendingPathComponent("Tests/StrataModelTests/Fixtures/architectures/\(family)").path
    }

    /// The fixture's texts (id `tK` for text K) with alternating labels, as capture input.
    static func writeInput(_ family: String, to path: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture(family) + "/reference.json"))
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let texts = try #require(reference["texts"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        var lines = ""
        for (index, text) in texts.enumerated() {
            let line = try JSONSerialization.data(
                withJSONObject: ["id": "t\(index)", "text": text, "label": index % 2],
                options: [.sortedKeys])
            lines += String(decoding: line, as: UTF8.self) + "\n"
        }
        try lines.write(toFile: path, atomically: true, encoding: .utf8)
        return texts.count
    }

    /// Reads the captured dataset with the Python reader and checks every record against the fixture's
    /// transformers hidden states (token ids equal, relative L2 per layer, cosine per token).
    static let compareScript = """
        import json, sys, numpy as np, strata
        folder, dataset = sys.argv[1], sys.argv[2]
        reference = json.load(open(folder + "/reference.json"))
        tol = reference["tolerance"]
        ds = strata.open(dataset)
        assert len(ds) == len(reference["texts"]), (len(ds), len(reference["texts"]))
        for i in range(len(ds)):
            info = ds.info(i)
            k = int(info.id[1:])
            text = reference["texts"][k]
            assert list(info.token_ids) == text["token_ids"], (info.id, "token ids differ")
            expected = np.fromfile(folder + "/" + text["hidden_states"], dtype="<f4").reshape(text["shape"])
            ours = ds.read(i)
            assert ours.shape == expected.shape, (info.id, ours.shape, expected.shape)
            for layer in range(expected.shape[0]):
                a, b = ours[layer].astype(np.float64), expected[layer].astype(np.float64)
                rel = np.linalg.norm(a - b) / np.linalg.norm(b)
                cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
                assert rel <= tol["rel_l2"], (info.id, layer, "relative L2", rel)
                assert cos.min() >= tol["cosine"], (info.id, layer, "cosine", cos.min())
        print("ok", len(ds))
        """

    @Test(.needsPython("numpy"), arguments: families)
    func captureEqualsTransformers(_ family: String) throws {
        try withTemporaryDirectory { dir in
            let model = Self.fixture(family) + "/model-f32.gguf"
            _ = try Self.writeInput(family, to: dir + "/in.jsonl")
            try ServingCommandTests.expectOK([
                "capture", "--model", model, "--input", dir + "/in.jsonl", "--out", dir + "/ds",
                "--dtype", "f32", "--batch-tokens", "200"
            ])
            let check = try Python.run(["-c", Self.compareScript, Self.fixture(family), dir + "/ds"])
            #expect(check.status == 0 && check.output.hasPrefix("ok"), "\(family): \(check.output)")
        }
    }

    /// A probe trained on the captured layers gives the same probability live (classify, one pass) as offline
    /// (capture + eval); a guard with threshold 0 refuses before generating, one above 1 lets generation run.
    @Test(arguments: families)
    func classifyAndGuardedGenerate(_ family: String) throws {
        try withTemporaryDirectory { dir in
            let model = Self.fixture(family) + "/model-f32.gguf"
            let count = try Self.writeInput(family, to: dir + "/in.jsonl")
            try ServingCommandTests.expectOK([
                "capture", "--model", model, "--input", dir + "/in.jsonl", "--out", dir + "/ds",
                "--dtype", "f32", "--layers", "0,2,3", "--label-names", "benign,harmful"
            ])
            try ServingCommandTests.expectOK([
                "train", "--data", dir + "/ds", "--probe", "pooling", "--out", dir + "/p.probe",
                "--epochs", "2", "--val-fraction", "0", "--layers", "3,0", "--quiet"
            ])
            try ServingCommandTests.expectOK([
                "eval", "--probe", dir + "/p.probe", "--data", dir + "/ds", "--predictions", dir + "/offline.jsonl"
            ])
            let live = try ServingCommandTests.jsonLines(
                ServingCommandTests.expectOK([
                    "classify", "--model", model, "--probe", dir + "/p.probe",
                    "--input", dir + "/in.jsonl", "--json"
                ]).stdout)
            let offline = try ServingCommandTests.jsonLines(String(contentsOfFile: dir + "/offline.jsonl", encoding: .utf8))
            #expect(live.count == count && offline.count == count)
            let offlineByID = Dictionary(uniqueKeysWithValues: offline.map { ($0["id"] as? String ?? "", $0) })
            for row in live {
                let id = try #require(row["id"] as? String)
                let p = try #require(row["probability"] as? Double)
                let q = try #require(offlineByID[id]?["probability"] as? Double)
                #expect(abs(p - q) <= 1e-4, "\(family) \(id): classify \(p) vs capture+eval \(q)")
            }

            let prompt = [
                "generate", "--model", model, "--prompt", "The quick brown fox", "--raw", "--max-tokens", "20",
                "--temperature", "0", "--json"
            ]
            let plain = try ServingCommandTests.jsonLines(ServingCommandTests.expectOK(prompt).stdout)[0]
            #expect(plain["refused"] as? Bool == false && plain["tokens"] as? Int ?? 0 >= 1, "\(plain)")
            let refused = try ServingCommandTests.jsonLines(
                ServingCommandTests.expectOK(prompt + ["--guard", dir + "/p.probe", "--threshold", "0"]).stdout)[0]
            #expect(refused["refused"] as? Bool == true && refused["text"] == nil, "\(refused)")
            let answered = try ServingCommandTests.jsonLines(
                ServingCommandTests.expectOK(prompt + ["--guard", dir + "/p.probe", "--threshold", "1.5"]).stdout)[0]
            #expect(answered["refused"] as? Bool == false)
            #expect(answered["text"] as? String == plain["text"] as? String)
            #expect(abs((answered["probability"] as? Double ?? -1) - (refused["probability"] as? Double ?? -2)) <= 1e-6)
        }
    }
}
