import Foundation
import StrataTestSupport
import Testing

/// The probe parameters of a checkpoint: the bytes after the 16-byte-aligned JSON header, without the CRC.
private func parameterBytes(_ path: String) throws -> [UInt8] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    let start = (16 + length + 15) / 16 * 16
    return Array(bytes[start..<(bytes.count - 4)])
}

private func jsonLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}

/// `strata train` killed with SIGKILL in the middle of an epoch and rerun with `--resume` ends
/// with the same probe parameters, bit for bit, and the same per-epoch log as a run that was
/// never interrupted.
/// Gate reads hidden states through the stream; pooling trains its head on precomputed features.
@Test(arguments: ["gate", "pooling"])
func trainKilledMidEpochResumesToTheUninterruptedResult(probe: String) throws {
    try withTemporaryDirectoryURL("resume") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 180)
        func args(_ name: String, _ extra: [String] = []) -> [String] {
            [
                "train", "--data", data, "--probe", probe, "--out", dir.appendingPathComponent("\(name).probe").path,
                "--epochs", "3", "--batch-size", "8", "--lr", "0.01", "--seed", "5", "--patience", "0", "--threads", "2",
                "--checkpoint-every", "4", "--log", dir.appendingPathComponent("\(name).jsonl").path, "--quiet"
            ] + extra
        }
        let (s0, _, e0) = try ProbeCLI.run(args("straight"))
        #expect(s0 == 0, "\(e0)")

        // 162 training records → 21 steps per epoch; kill once a state inside epoch 2 is on disk.
        let statePath = dir.appendingPathComponent("killed.probe.state").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ProbeCLI.binary)
        p.arguments = args("killed", ["--step-delay-ms", "40"])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var killedAt: [String: Any]?
        while Date() < deadline && p.isRunning {
            if let d = FileManager.default.contents(atPath: statePath),
                let obj = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
                obj["epoch"] as? Int == 2, obj["stream"] is [String: Any], (obj["step"] as? Int ?? 0) >= 28
            {
                kill(p.processIdentifier, SIGKILL)
                killedAt = obj
                break
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        p.waitUntilExit()
        #expect(killedAt != nil && p.terminationReason == .uncaughtSignal, "the run finished before it could be killed mid-epoch")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("killed.probe").path))
        #expect(try jsonLines(dir.appendingPathComponent("killed.jsonl").path).count == 1)

        let (s1, _, e1) = try ProbeCLI.run(args("killed", ["--resume"]))
        #expect(s1 == 0, "\(e1)")
        #expect(
            try parameterBytes(dir.appendingPathComponent("killed.probe").path)
                == parameterBytes(dir.appendingPathComponent("straight.probe").path))
        #expect(!FileManager.default.fileExists(atPath: statePath))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains(".state") })
        let straight = try jsonLines(dir.appendingPathComponent("straight.jsonl").path)
        let resumed = try jsonLines(dir.appendingPathComponent("killed.jsonl").path)
        #expect(resumed.count == 3)
        for (a, b) in zip(straight, resumed) {
            for key in ["epoch", "step", "train_loss", "val_metric", "val_loss"] { #expect("\(a[key]!)" == "\(b[key]!)", "\(key)") }
        }
    }
}
