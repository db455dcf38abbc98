import Foundation
import Strata
import StrataTestSupport
import Testing

/// Issue 12: two writers of one output. Every writing command takes the output's lock and is refused,
/// naming the holder's pid, while another process holds it; a lock file left by a killed run does not
/// block `--resume`; two captures started into one `--out` at once cannot both succeed.
@Suite struct OutputLockCommandTests {
    /// Runs `arguments` while this test process holds `lock`; expects a refusal naming this pid and
    /// that `output` holds nothing afterwards but what was there before.
    static func expectRefused(_ arguments: [String], output: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try OutputFixtures.snapshot(output)
        let result = try CLIRunner.run(arguments)
        #expect(result.status == 1, "\(arguments[0]) was not refused: \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        #expect(
            result.stderr.contains("another process is writing it (pid \(getpid())"), "\(arguments[0]): \(result.stderr)",
            sourceLocation: sourceLocation)
        #expect(try OutputFixtures.snapshot(output) == before, "\(arguments[0]) wrote to \(output)", sourceLocation: sourceLocation)
    }

    @Test func everyWriterIsRefusedWhileTheOutputIsLocked() throws {
        try withTemporaryDirectory { dir in
            let good = dir + "/good.strata"
            try ProbeCLI.writeShard(good, count: 12)
            try CaptureCommandTests.synthModel(dir + "/m.gguf")
            try CaptureCommandTests.writeInput(dir + "/in.jsonl", count: 4)
            let h5 = dir + "/good.h5"
            try #require(try CLIRunner.run(["export-hdf5", good, h5]).status == 0)

            let busy = dir + "/busy"
            let directoryLock = try OutputLock(directory: busy)
            defer { directoryLock.release() }
            try Self.expectRefused(
                ["capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", busy, "--threads", "1"],
                output: busy)
            try Self.expectRefused(["merge", good, "--out", busy], output: busy)
            try Self.expectRefused(["shard", good, "--out", busy, "--records-per-shard", "4"], output: busy)
            try Self.expectRefused(["split", good, "--out", busy], output: busy)
            // A shard inside a directory that a writer holds is not recovered under it.
            try FileManager.default.copyItem(atPath: good, toPath: busy + "/part.strata")
            try Self.expectRefused(["recover", busy + "/part.strata"], output: busy + "/part.strata")

            let file = dir + "/busy.out"
            try FileManager.default.copyItem(atPath: good, toPath: file)
            let fileLock = try OutputLock(file: file)
            defer { fileLock.release() }
            try Self.expectRefused(["import-hdf5", h5, file], output: file)
            try Self.expectRefused(["export-hdf5", good, file], output: file)
            try Self.expectRefused(["synth", "--out", file, "--records", "2"], output: file)
            try Self.expectRefused(["recover", file], output: file)
            try Self.expectRefused(["train", "--data", good, "--probe", "pooling", "--out", file, "--epochs", "1", "--quiet"], output: file)
            try Self.expectRefused(["features", "--data", good, "--out", file, "--quiet"], output: file)
        }
    }

    /// The reproduction of issue 12: two captures into one `--out` at once. Whichever starts second
    /// is refused (by the lock while the first runs, or because the directory is no longer empty);
    /// the dataset holds exactly the winner's records and verifies.
    @Test func twoCapturesIntoOneDirectoryCannotBothSucceed() throws {
        try withTemporaryDirectory { dir in
            try CaptureCommandTests.synthModel(dir + "/m.gguf")
            try CaptureCommandTests.writeInput(dir + "/a.jsonl", count: 10)
            try CaptureCommandTests.writeInput(dir + "/b.jsonl", count: 14)
            let out = dir + "/race"
            let runs = ["a", "b"].map { name in
                ["capture", "--model", dir + "/m.gguf", "--input", dir + "/\(name).jsonl", "--out", out, "--threads", "1"]
            }
            let processes = try runs.enumerated().map { index, arguments in
                try CLIRunner.start(arguments, stderr: dir + "/stderr-\(index)")
            }
            for process in processes { process.waitUntilExit() }
            let statuses = processes.map(\.terminationStatus)
            let stderrs = try (0..<2).map { try String(contentsOfFile: dir + "/stderr-\($0)", encoding: .utf8) }
            #expect(statuses.filter { $0 == 0 }.count == 1, "exit statuses \(statuses): \(stderrs)")
            guard let winner = statuses.firstIndex(of: 0) else { return }
            let loser = stderrs[1 - winner]
            #expect(loser.contains("another process is writing it") || loser.contains("is not empty"), "\(loser)")
            let verify = try CLIRunner.run(["verify", out])
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(try StrataDataset(path: out).count == [10, 14][winner])
            #expect(!FileManager.default.fileExists(atPath: out + "/" + OutputLock.directoryLockName))
        }
    }

    /// A lock file left by a killed capture (its pid gone) neither blocks `--resume` nor bothers readers.
    @Test func aStaleLockFileDoesNotBlockResume() throws {
        try withTemporaryDirectory { dir in
            try CaptureCommandTests.synthModel(dir + "/m.gguf")
            // The first run captured the first 6 rows of what is now a 12-row input.
            try CaptureCommandTests.writeInput(dir + "/in.jsonl", count: 6)
            let out = dir + "/caps"
            let first = try CLIRunner.run([
                "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", out, "--threads", "1"
            ])
            try #require(first.status == 0, "\(first.stderr)")
            let stale = out + "/" + OutputLock.directoryLockName
            try "{\"command\":\"strata capture\",\"pid\":\(OutputFixtures.deadPID)}\n".write(
                toFile: stale, atomically: false, encoding: .utf8)
            // Readers ignore the lock file.
            #expect(try CLIRunner.run(["verify", out]).status == 0)
            #expect(try CLIRunner.run(["inspect", out]).status == 0)
            let merged = try CLIRunner.run(["merge", out, "--out", dir + "/merged"])
            #expect(merged.status == 0 && merged.stdout.contains("6 records"), "\(merged.stderr)")

            try CaptureCommandTests.writeInput(dir + "/in.jsonl", count: 12)
            let resumed = try CLIRunner.run([
                "capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", out,
                "--threads", "1", "--resume"
            ])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try StrataDataset(path: out).count == 12)
            #expect(!FileManager.default.fileExists(atPath: stale))
        }
    }
}
