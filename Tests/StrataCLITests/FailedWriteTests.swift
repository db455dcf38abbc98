import Foundation
import Strata
import StrataTestSupport
import Testing

/// README, "What a command does to its output": every writing command, made to fail (or killed) with
/// an output already in place, leaves that output byte for byte as it was — either it refuses before
/// touching it, or it wrote a temporary file that it did not rename over the output.
@Suite struct FailedWriteTests {
    /// Runs `arguments`, expects a non-zero exit whose stderr contains `message`, and that `output`
    /// (file or directory) is byte-identical afterwards, with no partial file left beside it.
    static func expectFailureLeaves(
        _ output: String, _ arguments: [String], saying message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try OutputFixtures.snapshot(output)
        try #require(!before.isEmpty, "no existing output at \(output)", sourceLocation: sourceLocation)
        let result = try CLIRunner.run(arguments)
        #expect(
            result.status != 0 && !result.signaled, "\(arguments.joined(separator: " ")) succeeded: \(result.stdout)",
            sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(arguments[0]): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(try OutputFixtures.snapshot(output) == before, "\(arguments[0]) changed \(output)", sourceLocation: sourceLocation)
        let directory = (output as NSString).deletingLastPathComponent, name = (output as NSString).lastPathComponent
        #expect(OutputFixtures.files(in: directory, prefix: name + ".partial-").isEmpty, sourceLocation: sourceLocation)
        #expect(OutputFixtures.files(in: directory, prefix: "." + name + ".lock").isEmpty, sourceLocation: sourceLocation)
    }

    @Test(.needsPython("h5py", "numpy")) func fileOutputsSurviveAFailureAfterTheyWereOpened() throws {
        try withTemporaryDirectory { dir in
            let good = dir + "/good.strata", damaged = dir + "/damaged.strata"
            try ProbeCLI.writeShard(good, count: 40)
            try OutputFixtures.writeDamagedShard(damaged)
            let verify = try CLIRunner.run(["verify", damaged])
            try #require(verify.status == 1 && verify.stderr.contains("record"), "the damaged shard verifies: \(verify.stdout)")

            // export-hdf5: the damaged record is met after OUT.partial-PID was created.
            let h5 = dir + "/out.h5"
            try #require(try CLIRunner.run(["export-hdf5", good, h5]).status == 0)
            try Self.expectFailureLeaves(h5, ["export-hdf5", damaged, h5], saying: "damaged.strata")

            // import-hdf5 onto an existing shard, failing at a duplicate id after the output was opened
            // (issue 12.3: the shard used to be replaced by an unsealed 800-byte stub).
            // (No Strata dataset may hold one id twice, so the HDF5 file gets its duplicate from h5py.)
            let duplicates = dir + "/duplicates.h5"
            try #require(try CLIRunner.run(["export-hdf5", good, duplicates]).status == 0)
            let edited = try Python.run([
                "-c", "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); f['ids'][-1] = f['ids'][0]",
                duplicates
            ])
            try #require(edited.status == 0, "h5py could not edit the export: \(edited.output)")
            let precious = dir + "/precious.strata"
            try FileManager.default.copyItem(atPath: good, toPath: precious)
            try Self.expectFailureLeaves(precious, ["import-hdf5", duplicates, precious], saying: "doc-0")

            // train and features read the damaged record part-way through.
            let probe = dir + "/p.probe"
            let trained = try CLIRunner.run(["train", "--data", good, "--probe", "pooling", "--out", probe, "--epochs", "1", "--quiet"])
            try #require(trained.status == 0, "\(trained.stderr)")
            try Self.expectFailureLeaves(
                probe, ["train", "--data", damaged, "--probe", "pooling", "--out", probe, "--epochs", "1", "--quiet"],
                saying: "damaged.strata")
            let features = dir + "/f.npy"
            try #require(try CLIRunner.run(["features", "--data", good, "--out", features, "--quiet"]).status == 0)
            let sidecar = try OutputFixtures.snapshot(dir + "/f.json")
            try Self.expectFailureLeaves(features, ["features", "--data", damaged, "--out", features, "--quiet"], saying: "damaged.strata")
            #expect(try OutputFixtures.snapshot(dir + "/f.json") == sidecar)

            // recover refuses what is not a shard, and leaves a sealed shard as it is.
            let text = dir + "/notes.strata"
            try Data("not a shard at all, but somebody's notes\n".utf8).write(to: URL(fileURLWithPath: text))
            try Self.expectFailureLeaves(text, ["recover", text], saying: "notes.strata")
            let sealed = try OutputFixtures.snapshot(good)
            let again = try CLIRunner.run(["recover", good])
            #expect(again.status == 0 && again.stdout.contains("already sealed"), "\(again.stdout)\(again.stderr)")
            #expect(try OutputFixtures.snapshot(good) == sealed)
        }
    }

    /// `synth` killed while writing: the existing shard is untouched, and the next run removes the
    /// partial file the killed one left.
    @Test func aKilledSynthLeavesTheExistingShard() throws {
        try withTemporaryDirectory { dir in
            let shard = dir + "/s.strata"
            try #require(try CLIRunner.run(["synth", "--out", shard, "--records", "3", "--layer-count", "2", "--hidden", "8"]).status == 0)
            let before = try OutputFixtures.snapshot(shard)
            let writer = try CLIRunner.start(["synth", "--out", shard, "--records", "1000000", "--layer-count", "2", "--hidden", "8"])
            let partial = FileReplacement.partialPath(of: shard, pid: writer.processIdentifier)
            // Wait (bounded) until the killed run has written records into its partial file.
            let deadline = Date().addingTimeInterval(120)
            while writer.isRunning, Date() < deadline,
                ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) < 100_000
            {
                usleep(10_000)
            }
            try #require(writer.isRunning, "synth ended before it could be killed (status \(writer.terminationStatus))")
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            #expect(try OutputFixtures.snapshot(shard) == before)
            #expect(FileManager.default.fileExists(atPath: partial), "the killed run's partial file should be there")
            let next = try CLIRunner.run(["synth", "--out", shard, "--records", "2", "--layer-count", "2", "--hidden", "8"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(!FileManager.default.fileExists(atPath: partial), "the next run should remove the dead run's partial file")
            #expect(try ShardReader(path: shard).count == 2)
        }
    }

    @Test func directoryOutputsAreRefusedBeforeTheyAreTouched() throws {
        try withTemporaryDirectory { dir in
            let good = dir + "/good.strata", narrow = dir + "/narrow.strata", damaged = dir + "/damaged.strata"
            try ProbeCLI.writeShard(good, count: 40)
            try ProbeCLI.writeShard(narrow, count: 5, hidden: 8)
            try OutputFixtures.writeDamagedShard(damaged)

            let merged = dir + "/merged"
            try #require(try CLIRunner.run(["merge", good, "--out", merged, "--mode", "copy"]).status == 0)
            try Self.expectFailureLeaves(merged, ["merge", narrow, "--out", merged], saying: "already holds a dataset")
            try Self.expectFailureLeaves(merged, ["merge", narrow, "--out", merged, "--append"], saying: "hidden")

            let resharded = dir + "/resharded"
            try #require(try CLIRunner.run(["shard", good, "--out", resharded, "--records-per-shard", "16"]).status == 0)
            try Self.expectFailureLeaves(
                resharded, ["shard", damaged, "--out", resharded, "--records-per-shard", "16"],
                saying: "already exists")

            let splits = dir + "/splits"
            try #require(try CLIRunner.run(["split", good, "--out", splits, "--seed", "1"]).status == 0)
            try Self.expectFailureLeaves(splits, ["split", damaged, "--out", splits, "--seed", "1"], saying: "already exists")

            // capture: a finished capture is neither overwritten nor resumed with other settings.
            try CaptureCommandTests.synthModel(dir + "/m.gguf")
            try CaptureCommandTests.writeInput(dir + "/in.jsonl", count: 6)
            let captured = dir + "/caps"
            let capture = ["capture", "--model", dir + "/m.gguf", "--input", dir + "/in.jsonl", "--out", captured, "--threads", "1"]
            try #require(try CLIRunner.run(capture).status == 0)
            try Self.expectFailureLeaves(captured, capture, saying: "is not empty")
            try Self.expectFailureLeaves(captured, capture + ["--resume", "--dtype", "f32"], saying: "dtype")
        }
    }
}
