import Foundation
import StrataTestSupport
import Testing

/// Reads the JSON header of a probe checkpoint (spec/PROBES.md §4: magic, version, length, JSON).
func probeCheckpointHeader(_ path: String) throws -> [String: Any] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    return try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + length)])) as! [String: Any]
}

/// `strata train --log`: one line per epoch with exactly the documented keys; the last epoch's
/// val_loss and val_metric agree with `strata eval` of the written probe on the same data.
@Test func trainLogWritesOneLinePerEpochMatchingEval() throws {
    try withTemporaryDirectoryURL("log") { dir in
        let train = dir.appendingPathComponent("train.strata").path, val = dir.appendingPathComponent("val.strata").path
        try ProbeCLI.writeShard(train, count: 90)
        try ProbeCLI.writeShard(val, count: 40)
        let ckpt = dir.appendingPathComponent("p.probe").path, logPath = dir.appendingPathComponent("log.jsonl").path
        // The log holds every epoch; with one epoch, the checkpoint holds that epoch's parameters.
        for epochs in [3, 1] {
            let (status, _, stderr) = try ProbeCLI.run([
                "train", "--data", train, "--val", val, "--probe", "pooling", "--out", ckpt, "--epochs", "\(epochs)",
                "--batch-size", "16", "--lr", "0.01", "--metric", "accuracy", "--patience", "0", "--log", logPath, "--quiet"
            ])
            #expect(status == 0, "\(stderr)")
            let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == epochs)
            var previousStep = 0
            for (i, line) in lines.enumerated() {
                let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                #expect(Set(obj.keys) == ["epoch", "step", "train_loss", "val_metric", "val_loss", "examples_per_second", "seconds"])
                #expect(obj["epoch"] as? Int == i + 1)
                let step = obj["step"] as! Int
                #expect(step == previousStep + 6) // ceil(90 / 16) steps per epoch
                previousStep = step
                #expect(
                    (obj["train_loss"] as! Double) > 0 && (obj["seconds"] as! Double) > 0 && (obj["examples_per_second"] as! Double) > 0)
            }
            let header = try probeCheckpointHeader(ckpt)
            let history = (header["provenance"] as! [String: Any])["history"] as! [[String: Any]]
            #expect(history.count == epochs)
            if epochs == 1 {
                let last = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
                let preds = dir.appendingPathComponent("preds.jsonl").path
                let (s2, json, e2) = try ProbeCLI.run(["eval", "--probe", ckpt, "--data", val, "--json", "--predictions", preds])
                #expect(s2 == 0, "\(e2)")
                let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
                #expect(abs((report["accuracy"] as! Double) - (last["val_metric"] as! Double)) < 1e-9)
                var loss = 0.0
                let rows = try String(contentsOfFile: preds, encoding: .utf8).split(separator: "\n")
                for (i, row) in rows.enumerated() {
                    let p = (try JSONSerialization.jsonObject(with: Data(row.utf8)) as! [String: Any])["probability"] as! Double
                    loss -= log(i % 3 == 0 ? p : 1 - p) // writeShard labels: 1 when i % 3 == 0
                }
                #expect(abs(loss / Double(rows.count) - (last["val_loss"] as! Double)) < 1e-4)
            }
        }
    }
}

/// Ranks that each train their own probe are gone: `strata help train` offers data-parallel training
/// (`--distributed`) only, and the old partitioned-reading flags are refused.
@Test func trainOffersNoRanksThatTrainSeparateProbes() throws {
    let (status, help, _) = try ProbeCLI.run(["help", "train"])
    #expect(status == 0)
    #expect(help.contains("--distributed") && help.contains("MPI_Allreduce") && help.contains("global batch"))
    #expect(!help.contains("--rank") && !help.contains("--world") && !help.contains("its own probe"))
    try withTemporaryDirectoryURL("rank") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 10)
        let (refused, _, stderr) = try ProbeCLI.run([
            "train", "--data", data, "--probe", "gate", "--out", dir.appendingPathComponent("r.probe").path, "--rank", "1", "--world", "2"
        ])
        #expect(refused != 0 && stderr.contains("--rank"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.probe").path))
    }
}
