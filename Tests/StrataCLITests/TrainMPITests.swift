import Foundation
import StrataTestSupport
import Testing

/// `strata train` under `mpirun`: data-parallel ranks that all-reduce gradients every step train the
/// probe a single process trains with the same global batch and seed (Open MPI is the reference
/// launcher and transport; the single-process run is the reference result).
@Suite(.needsMPI, .serialized) struct TrainMPITests {
    /// The checkpoint's stored values (parameters, then what follows them), as f32.
    static func values(_ path: String) throws -> [Float] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        let start = (16 + length + 15) / 16 * 16
        return stride(from: start, to: bytes.count - 4 - 3, by: 4).map {
            Float(bitPattern: UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24)
        }
    }

    /// ‖a − b‖₂ / ‖b‖₂. Element-wise comparison is not meaningful: Adam divides each gradient by its own
    /// running magnitude, so a parameter whose gradient sums to nearly zero moves by an amount that
    /// depends on the rounding of that sum, and summing per rank before adding rounds differently.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let diff = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (diff / norm).squareRoot()
    }

    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// Runs `mpirun -n ranks` over `command` (strata's arguments, or a shell line with `shell`), output in `log`.
    @discardableResult
    static func mpirun(_ ranks: Int, _ arguments: [String], log: String, shell: Bool = false, timeout: TimeInterval = 300) throws -> Process
    {
        let p = try startMPI(ranks, arguments, log: log, shell: shell)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return p
    }

    static func startMPI(_ ranks: Int, _ arguments: [String], log: String, shell: Bool = false) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Requirements.mpirunPath ?? "/usr/bin/mpirun")
        let command = shell ? ["/bin/sh", "-c", arguments.joined(separator: " ")] : [ProbeCLI.binary] + arguments
        p.arguments = ["--allow-run-as-root", "--oversubscribe", "-n", "\(ranks)"] + command
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    static func trainArguments(_ data: String, probe: String, out: String, log: String, epochs: Int = 4) -> [String] {
        [
            "train", "--data", data, "--probe", probe, "--out", out, "--log", log, "--epochs", "\(epochs)", "--batch-size", "8",
            "--seed", "5", "--patience", "0", "--val-fraction", "0.2", "--threads", "1", "--downcast", "4", "--quiet"
        ]
    }

    /// 101 records, 20 held out: 81 training records in steps of 8 — the last step has one record, so
    /// one rank's slice of it is empty; with 3 ranks every step splits 3/3/2.
    @Test(arguments: [("pooling", 2), ("gate", 2), ("mha", 2), ("gate", 3)])
    func ranksTrainTheSingleProcessProbe(probe: String, ranks: Int) throws {
        try withTemporaryDirectoryURL("train-mpi") { dir in
            let path = { (name: String) in dir.appendingPathComponent(name).path }
            try ProbeCLI.writeShard(path("d.strata"), count: 101)
            let (status, _, error) = try ProbeCLI.run(
                Self.trainArguments(path("d.strata"), probe: probe, out: path("one.probe"), log: path("one.jsonl")))
            #expect(status == 0, "\(error)")
            let run = try Self.mpirun(
                ranks, Self.trainArguments(path("d.strata"), probe: probe, out: path("mpi.probe"), log: path("mpi.jsonl")),
                log: path("mpirun.log"))
            let output = String(decoding: FileManager.default.contents(atPath: path("mpirun.log")) ?? Data(), as: UTF8.self)
            try #require(run.terminationStatus == 0, "\(output)")

            let single = try Self.values(path("one.probe")), distributed = try Self.values(path("mpi.probe"))
            #expect(single.count == distributed.count)
            let difference = Self.relativeDifference(distributed, single)
            #expect(difference <= 1e-5, "\(probe) on \(ranks) ranks: relative parameter difference \(difference)")
            // Validation outputs gathered from both ranks give the single process's metrics, epoch by epoch.
            let one = try Self.jsonLines(path("one.jsonl")), many = try Self.jsonLines(path("mpi.jsonl"))
            #expect(one.count == 4 && many.count == 4)
            for (a, b) in zip(one, many) {
                #expect(a["step"] as? Int == b["step"] as? Int)
                for key in ["train_loss", "val_loss", "val_metric"] {
                    let x = a[key] as! Double, y = b[key] as! Double
                    #expect(abs(x - y) <= 1e-5 * max(1, abs(x)), "epoch \(a["epoch"]!) \(key): one process \(x), \(ranks) ranks \(y)")
                }
            }
            // Only rank 0 wrote: one checkpoint, no state left, no stray files.
            #expect(
                Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
                    == ["d.strata", "one.probe", "one.jsonl", "mpi.probe", "mpi.jsonl", "mpirun.log"])
        }
    }

    /// An error on one rank ends the whole job, saying which rank failed and why, instead of leaving the
    /// other ranks waiting in the next all-reduce. Here rank 0 cannot lock --out; rank 1 could train.
    @Test func anErrorOnOneRankEndsEveryRank() throws {
        try withTemporaryDirectoryURL("train-mpi-error") { dir in
            let path = { (name: String) in dir.appendingPathComponent(name).path }
            try ProbeCLI.writeShard(path("d.strata"), count: 40)
            let started = Date()
            let run = try Self.mpirun(
                2,
                [
                    "train", "--data", path("d.strata"), "--probe", "gate", "--out", path("missing/p.probe"),
                    "--epochs", "50", "--quiet"
                ], log: path("mpirun.log"), timeout: 120)
            let output = String(decoding: FileManager.default.contents(atPath: path("mpirun.log")) ?? Data(), as: UTF8.self)
            #expect(run.terminationStatus != 0)
            #expect(Date().timeIntervalSince(started) < 100, "the job hung after rank 0 failed")
            #expect(output.contains("rank 0 of 2") && output.contains("missing/.p.probe.lock"), "\(output)")
        }
    }

    /// Killing one rank (here rank 1, SIGKILL) mid-epoch ends the job; `--resume` under mpirun then
    /// continues from rank 0's state and ends with the uninterrupted 2-rank run's parameters and log.
    @Test func resumeAfterOneRankIsKilled() throws {
        try withTemporaryDirectoryURL("train-mpi-resume") { dir in
            let path = { (name: String) in dir.appendingPathComponent(name).path }
            try ProbeCLI.writeShard(path("d.strata"), count: 101)
            func arguments(_ name: String) -> [String] {
                Self.trainArguments(path("d.strata"), probe: "gate", out: path("\(name).probe"), log: path("\(name).jsonl"), epochs: 3)
                    + ["--checkpoint-every", "2"]
            }
            let straight = try Self.mpirun(2, arguments("straight"), log: path("straight.log"))
            try #require(
                straight.terminationStatus == 0,
                "\(String(decoding: FileManager.default.contents(atPath: path("straight.log")) ?? Data(), as: UTF8.self))")

            // Each rank records its process id; the test kills rank 1 once rank 0 saved a state inside epoch 2.
            let line =
                ["echo $$ > \(path("rank"))$OMPI_COMM_WORLD_RANK.pid; exec", ProbeCLI.binary]
                + (arguments("killed") + ["--step-delay-ms", "50"]).map { "'\($0)'" }
            let job = try Self.startMPI(2, line, log: path("killed.log"), shell: true)
            let statePath = path("killed.probe.state")
            let deadline = Date().addingTimeInterval(240)
            var killed = false
            while Date() < deadline && job.isRunning && !killed {
                if let d = FileManager.default.contents(atPath: statePath),
                    let state = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
                    state["epoch"] as? Int == 2, state["stream"] is [String: Any],
                    let pidText = try? String(contentsOfFile: path("rank1.pid"), encoding: .utf8),
                    let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    kill(pid, SIGKILL)
                    killed = true
                }
                usleep(5000)
            }
            let waitUntil = Date().addingTimeInterval(60)
            while job.isRunning && Date() < waitUntil { usleep(5000) }
            if job.isRunning { kill(job.processIdentifier, SIGKILL) }
            job.waitUntilExit()
            try #require(killed, "the run finished before rank 1 could be killed mid-epoch")
            #expect(job.terminationStatus != 0)
            #expect(!FileManager.default.fileExists(atPath: path("killed.probe")))

            let resumed = try Self.mpirun(2, arguments("killed") + ["--resume"], log: path("resumed.log"))
            try #require(
                resumed.terminationStatus == 0,
                "\(String(decoding: FileManager.default.contents(atPath: path("resumed.log")) ?? Data(), as: UTF8.self))")
            #expect(try Self.values(path("killed.probe")) == Self.values(path("straight.probe")))
            #expect(!FileManager.default.fileExists(atPath: statePath))
            let a = try Self.jsonLines(path("straight.jsonl")), b = try Self.jsonLines(path("killed.jsonl"))
            #expect(a.count == 3 && b.count == 3)
            for (x, y) in zip(a, b) {
                for key in ["epoch", "step", "train_loss", "val_metric", "val_loss"] { #expect("\(x[key]!)" == "\(y[key]!)", "\(key)") }
            }
        }
    }
}

/// `--distributed mpi` where Open MPI cannot be loaded fails with a message naming the library and the fix.
@Test func trainWithoutLoadableMPIIsAClearError() throws {
    try withTemporaryDirectoryURL("train-mpi-missing") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 20)
        let result = try CLIRunner.run(
            ["train", "--data", data, "--probe", "pooling", "--out", dir.appendingPathComponent("p.probe").path, "--distributed", "mpi"],
            environment: ["STRATA_LIBMPI": dir.appendingPathComponent("no-such-libmpi.so").path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no-such-libmpi.so") && result.stderr.contains("STRATA_LIBMPI"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.probe").path))
    }
}

/// Several srun tasks without an MPI plugin would each train alone and race for --out: refused, saying how to launch.
@Test func srunTasksWithoutMPIPluginAreRefused() throws {
    try withTemporaryDirectoryURL("train-srun-no-mpi") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        try ProbeCLI.writeShard(data, count: 20)
        let result = try CLIRunner.run(
            ["train", "--data", data, "--probe", "pooling", "--out", dir.appendingPathComponent("p.probe").path],
            environment: ["SLURM_STEP_ID": "0", "SLURM_STEP_NUM_TASKS": "2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--mpi=pmix"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.probe").path))
    }
}
