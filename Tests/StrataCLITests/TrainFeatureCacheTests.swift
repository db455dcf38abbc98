import Foundation
import StrataTestSupport
import Testing

/// Head-only probes trained on pooled features computed once predict what the same probe
/// trained by decoding and pooling every epoch predicts (within 1e-5), for each such kind.
@Test(arguments: [["pooling"], ["last-token"], ["mean-last", "--layers", "2"], ["logits"]])
func featureCacheTrainsTheSameHeadAsDecodingEveryEpoch(_ probe: [String]) throws {
    try withTemporaryDirectoryURL("featcache") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 70, logprobs: true)
        var predictions: [[Double]] = []
        for mode in ["off", "auto"] {
            let ckpt = dir.appendingPathComponent("\(mode).probe").path, preds = dir.appendingPathComponent("\(mode).jsonl").path
            let (status, _, stderr) = try ProbeCLI.run(
                ["train", "--data", data, "--probe"] + probe + [
                    "--out", ckpt, "--epochs", "3", "--batch-size", "8", "--lr", "0.01", "--seed", "2", "--feature-cache", mode, "--solver",
                    "adamw"
                ])
            #expect(status == 0, "\(stderr)")
            #expect(stderr.contains("pooled features computed once") == (mode == "auto"))
            let (s2, _, e2) = try ProbeCLI.run(["eval", "--probe", ckpt, "--data", data, "--predictions", preds])
            #expect(s2 == 0, "\(e2)")
            predictions.append(
                try String(contentsOfFile: preds, encoding: .utf8).split(separator: "\n").map {
                    (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["probability"] as! Double
                })
        }
        #expect(predictions[0].count == 70 && predictions[1].count == 70)
        let worst = zip(predictions[0], predictions[1]).map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 1e-5, "largest difference \(worst)")
    }
}

/// A gate probe trained with decoded records cached after epoch 1 has exactly the parameters
/// of one trained by decoding every epoch.
@Test func epochCacheTrainsBitIdenticalParameters() throws {
    try withTemporaryDirectoryURL("epochcache") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 60)
        var parameters: [[UInt8]] = []
        for mode in ["off", "auto"] {
            let ckpt = dir.appendingPathComponent("\(mode).probe").path
            let (status, _, stderr) = try ProbeCLI.run([
                "train", "--data", data, "--probe", "gate", "--out", ckpt, "--epochs", "3",
                "--batch-size", "8", "--seed", "4", "--threads", "2", "--epoch-cache", mode
            ])
            #expect(status == 0, "\(stderr)")
            #expect(stderr.contains("cached after epoch 1") == (mode == "auto"))
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ckpt)))
            let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
            parameters.append(Array(bytes[((16 + length + 15) / 16 * 16)..<(bytes.count - 4)]))
        }
        #expect(parameters[0] == parameters[1])
    }
}
