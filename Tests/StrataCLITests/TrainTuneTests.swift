import Foundation
import StrataTestSupport
import Testing

/// `strata train --tune`: trials in the checkpoint's provenance and on stdout, and a checkpoint that
/// `strata eval` reads with no extra flag, scoring validation as the chosen trial did.
@Test func trainTuneRecordsTrialsAndEvalNeedsNoFlags() throws {
    try withTemporaryDirectoryURL("tune") { dir in
        let train = dir.appendingPathComponent("train.strata").path, val = dir.appendingPathComponent("val.strata").path
        try ProbeCLI.writeShard(train, count: 90)
        try ProbeCLI.writeShard(val, count: 45)
        let ckpt = dir.appendingPathComponent("gate.probe").path
        let (status, stdout, stderr) = try ProbeCLI.run([
            "train", "--data", train, "--val", val, "--probe", "gate", "--out", ckpt, "--epochs", "3", "--batch-size", "16",
            "--lr", "0.01", "--metric", "accuracy", "--tune", "--tune-budget", "10m", "--threads", "1"
        ])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("successive halving") && stdout.contains("* = the trial this checkpoint holds"), "\(stdout)")
        let header = try probeCheckpointHeader(ckpt)
        let provenance = header["provenance"] as! [String: Any]
        let tuning = provenance["tuning"] as! [String: Any]
        let trials = tuning["trials"] as! [[String: Any]]
        #expect(trials.count == 2 + 1) // --lr fixed: gate-scale off/on in rung 0, the better one in rung 1
        #expect(tuning["budgetSeconds"] as? Double == 600)
        let chosen = trials[tuning["chosen"] as! Int]
        let settings = chosen["settings"] as! [String: String]
        let configuration = header["configuration"] as! [String: Any]
        #expect((configuration["gateScale"] as! Bool) == (settings["gate-scale"] == "on"))
        #expect((provenance["options"] as! [String: Any])["epochs"] as? Int == chosen["epochs"] as? Int)

        let (s2, json, e2) = try ProbeCLI.run(["eval", "--probe", ckpt, "--data", val, "--json"])
        #expect(s2 == 0, "\(e2)")
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(abs((report["accuracy"] as! Double) - (chosen["validationMetric"] as! Double)) < 1e-9)
    }
}

/// The tuning flags are refused where they cannot work, naming the flag.
@Test func trainTuneRefusesResumeAndBadBudgets() throws {
    try withTemporaryDirectoryURL("tune-bad") { dir in
        let train = dir.appendingPathComponent("train.strata").path
        try ProbeCLI.writeShard(train, count: 20)
        let ckpt = dir.appendingPathComponent("p.probe").path
        for (extra, needle) in [
            (["--tune", "--resume"], "--resume"), (["--tune", "--tune-budget", "ten"], "--tune-budget"),
            (["--tune", "--val-fraction", "0"], "--tune"), (["--solver", "lbfgs"], "--solver"),
            (["--c-grid", "1,-2"], "--c-grid")
        ] {
            let (status, _, stderr) = try ProbeCLI.run(["train", "--data", train, "--probe", "gate", "--out", ckpt] + extra)
            #expect(status != 0 && stderr.contains(needle), "\(extra): \(stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: ckpt))
    }
}

/// last-token's default solver: the C grid in provenance, one training-log line, and `strata eval` agreeing with it.
@Test func lastTokenDefaultsToTheLogisticRegressionSearch() throws {
    try withTemporaryDirectoryURL("lbfgs") { dir in
        let train = dir.appendingPathComponent("train.strata").path, val = dir.appendingPathComponent("val.strata").path
        try ProbeCLI.writeShard(train, count: 90)
        try ProbeCLI.writeShard(val, count: 45)
        let ckpt = dir.appendingPathComponent("lt.probe").path, logPath = dir.appendingPathComponent("log.jsonl").path
        let (status, stdout, stderr) = try ProbeCLI.run([
            "train", "--data", train, "--val", val, "--probe", "last-token", "--layers", "2", "--out", ckpt, "--metric", "accuracy",
            "--log", logPath
        ])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("logistic regression") && stdout.contains(", C "), "\(stdout)")
        let provenance = try probeCheckpointHeader(ckpt)["provenance"] as! [String: Any]
        let tuning = provenance["tuning"] as! [String: Any]
        #expect((tuning["trials"] as! [[String: Any]]).count == 13)
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let record = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        let (s2, json, e2) = try ProbeCLI.run(["eval", "--probe", ckpt, "--data", val, "--json"])
        #expect(s2 == 0, "\(e2)")
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(abs((report["accuracy"] as! Double) - (record["val_metric"] as! Double)) < 1e-9)
    }
}
