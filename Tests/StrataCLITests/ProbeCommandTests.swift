import Foundation
import Strata
import StrataTestSupport
import Testing

/// End-to-end tests of `strata train`, `strata eval` and `strata layers` on datasets written here.
enum ProbeCLI {
    /// The built `strata` executable next to the test bundle.
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("strata").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/strata"
    }

    /// Runs strata with arguments; returns (exit status, stdout, stderr).
    static func run(_ arguments: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A shard of `count` binary-labelled records: noise plus a class signal on a few tokens of
    /// the middle layer. All records share one noise pattern (shifted per record) so writing is fast.
    static func writeShard(
        _ path: String, count: Int, layers: Int = 5, hidden: Int = 16, tokens: ClosedRange<Int> = 3...12,
        logprobs: Bool = false, logprobWidth: Int = 6, level: Int = 1
    ) throws {
        var meta = StrataMetadata(
            hidden: hidden, layers: LayerInfo.huggingFaceHiddenStates(blocks: layers - 1), dtype: .f16,
            labelNames: ["negative", "positive"])
        if logprobs { meta.auxiliary = [AuxiliaryInfo(name: "next_token_logprobs", length: logprobWidth)] }
        var options = WriterOptions()
        options.zstdLevel = level
        let writer = try ShardWriter(path: path, metadata: meta, options: options)
        var state: UInt64 = 12345
        func unit() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let maxT = tokens.upperBound
        let noise = (0..<(layers * maxT * hidden)).map { _ in unit() }
        var values = [Float](repeating: 0, count: layers * maxT * hidden)
        for i in 0..<count {
            let label = i % 3 == 0 ? 1 : 0
            let n = tokens.lowerBound + (i * 7) % (tokens.count)
            let shift = i % 97
            for k in 0..<(layers * n * hidden) { values[k] = noise[(k + shift) % noise.count] }
            for t in stride(from: 0, to: n, by: 2) { values[((layers / 2) * n + t) * hidden + label] += 1.5 }
            var aux: [String: [Float]] = [:]
            if logprobs { var f = (0..<logprobWidth).map { _ in unit() }; f[label] += 1; aux["next_token_logprobs"] = f }
            let rec = RecordInput(id: "doc-\(i)", labels: [label], tokenIDs: (0..<n).map(Int32.init), auxiliary: aux)
            try values.withUnsafeBufferPointer {
                try writer.append(rec, values: .f32(UnsafeBufferPointer(rebasing: $0[0..<(layers * n * hidden)])))
            }
        }
        try writer.close()
    }
}

@Test func trainEvalAndLayersEndToEnd() throws {
    try withTemporaryDirectoryURL("e2e") { dir in
        let train = dir.appendingPathComponent("train.strata").path, test = dir.appendingPathComponent("test.strata").path
        try ProbeCLI.writeShard(train, count: 150)
        try ProbeCLI.writeShard(test, count: 60)
        let ckpt = dir.appendingPathComponent("gate.probe").path
        let (status, stdout, stderr) = try ProbeCLI.run([
            "train", "--data", train, "--probe", "gate", "--out", ckpt, "--epochs", "6", "--batch-size", "16", "--lr", "0.02",
            "--seed", "3", "--memory-budget", "64MiB", "--metric", "accuracy"
        ])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("wrote \(ckpt)"))
        #expect(stderr.contains("epoch 1/6") && stderr.contains("ex/s") && stderr.contains("val accuracy"))

        let preds = dir.appendingPathComponent("preds.jsonl").path
        let (s2, json, e2) = try ProbeCLI.run(["eval", "--probe", ckpt, "--data", test, "--json", "--predictions", preds])
        #expect(s2 == 0, "\(e2)")
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect((report["accuracy"] as! Double) > 0.85)
        #expect((report["count"] as! Int) == 60)
        let lines = try String(contentsOfFile: preds, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 60)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["id"] as? String == "doc-0" && first["probability"] is Double && first["predicted"] is Int)
        #expect((first["layer_weights"] as? [Double])?.count == 5)

        let svg = dir.appendingPathComponent("layers.svg").path
        let (s3, o3, e3) = try ProbeCLI.run(["layers", "--probe", ckpt, "--data", test, "--out", svg])
        #expect(s3 == 0, "\(e3)")
        #expect(o3.contains("true: positive"))
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<svg") && text.contains("<polyline") && text.contains("correct"))
        let numbers =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("layers.json").path)))
            as! [String: Any]
        let groups = numbers["groups"] as! [[String: Any]]
        for g in groups where (g["count"] as! Int) > 0 {
            let w = g["meanWeights"] as! [Double]
            #expect(w.count == 5 && abs(w.reduce(0, +) - 1) < 1e-4)
        }
        // the signal sits in the middle layer: the gate should weight it above uniform
        let all = groups[0]["meanWeights"] as! [Double]
        #expect(all[2] > 0.2)
    }
}

@Test func logitBaselineWithoutStoredLogprobsFailsClearly() throws {
    try withTemporaryDirectoryURL("logits") { dir in
        let plain = dir.appendingPathComponent("plain.strata").path, withLP = dir.appendingPathComponent("lp.strata").path
        try ProbeCLI.writeShard(plain, count: 20)
        try ProbeCLI.writeShard(withLP, count: 90, logprobs: true)
        let (status, _, stderr) = try ProbeCLI.run([
            "train", "--data", plain, "--probe", "logits", "--out", dir.appendingPathComponent("x").path
        ])
        #expect(status != 0)
        #expect(stderr.contains("next_token_logprobs") && stderr.contains("log-probabilities"))
        let (s2, out2, e2) = try ProbeCLI.run([
            "train", "--data", withLP, "--probe", "logits", "--out", dir.appendingPathComponent("lp.probe").path,
            "--epochs", "8", "--lr", "0.05", "--quiet"
        ])
        #expect(s2 == 0, "\(e2)")
        #expect(out2.contains("validation accuracy"))
    }
}

@Test func badOptionsAreRejectedWithTheFlagNamed() throws {
    try withTemporaryDirectoryURL("bad") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 10)
        let (s1, _, e1) = try ProbeCLI.run([
            "train", "--data", data, "--probe", "transformer", "--out", dir.appendingPathComponent("x").path
        ])
        #expect(s1 != 0 && e1.contains("--probe"))
        let (s2, _, e2) = try ProbeCLI.run([
            "train", "--data", data, "--probe", "gate", "--out", dir.appendingPathComponent("x").path, "--memory-budget", "lots"
        ])
        #expect(s2 != 0 && e2.contains("--memory-budget"))
        let (s3, _, e3) = try ProbeCLI.run([
            "train", "--data", data, "--probe", "gate", "--out", dir.appendingPathComponent("x").path, "--layers", "99"
        ])
        #expect(s3 != 0 && e3.contains("--layers"))
        let (s4, _, e4) = try ProbeCLI.run(["eval", "--probe", data, "--data", data])
        #expect(s4 != 0 && e4.contains("not a Strata probe checkpoint"))
    }
}
