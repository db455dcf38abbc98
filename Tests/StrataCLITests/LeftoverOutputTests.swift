import Foundation
import Strata
import StrataTestSupport
import Testing

/// What a killed run leaves, and what the next run says or does about it: unfinished `split` /
/// `shard` directories are named as such with what to do; partial files of killed exports are
/// removed; Foundation's file errors are printed as path + reason, not as `NSCocoaErrorDomain`.
@Suite struct LeftoverOutputTests {
    @Test func unfinishedSplitAndShardOutputsAreNamed() throws {
        try withTemporaryDirectory { dir in
            let good = dir + "/good.strata"
            try ProbeCLI.writeShard(good, count: 20)

            // A split killed while writing its train part: shards, no manifest.
            let splits = dir + "/splits"
            try FileManager.default.createDirectory(atPath: splits + "/train", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: good, toPath: splits + "/train/shard-00000.strata")
            let split = try CLIRunner.run(["split", good, "--out", splits])
            #expect(split.status == 1)
            #expect(
                split.stderr.contains(
                    "\(splits) holds the unfinished output of an interrupted run (train/ holds shard files but no manifest.json)")
                    && split.stderr.contains("rm -r \(splits)"), "\(split.stderr)")

            // A split killed between parts: train finished, val never started.
            try FileManager.default.removeItem(atPath: splits)
            let finished = try CLIRunner.run(["split", good, "--out", splits, "--val", "0", "--test", "0.2"])
            try #require(finished.status == 0, "\(finished.stderr)")
            try FileManager.default.removeItem(atPath: splits + "/test")
            let rerun = try CLIRunner.run(["split", good, "--out", splits, "--val", "0", "--test", "0.2"])
            #expect(rerun.status == 1 && rerun.stderr.contains("train/ finished but test/ was never written"), "\(rerun.stderr)")

            // A shard run killed before its manifest.
            let resharded = dir + "/resharded"
            try FileManager.default.createDirectory(atPath: resharded, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: good, toPath: resharded + "/shard-00000.strata")
            let shard = try CLIRunner.run(["shard", good, "--out", resharded, "--records-per-shard", "5"])
            #expect(
                shard.status == 1 && shard.stderr.contains("the directory holds shard files but no manifest.json")
                    && shard.stderr.contains("rm -r \(resharded)"), "\(shard.stderr)")

            // A finished output is just "not empty".
            try FileManager.default.removeItem(atPath: resharded)
            try #require(try CLIRunner.run(["shard", good, "--out", resharded, "--records-per-shard", "5"]).status == 0)
            let again = try CLIRunner.run(["shard", good, "--out", resharded, "--records-per-shard", "5"])
            #expect(
                again.status == 1 && again.stderr.contains("already exists and is not empty")
                    && !again.stderr.contains("unfinished output"),
                "\(again.stderr)")
        }
    }

    @Test func partialFilesOfKilledExportsAreRemoved() throws {
        try withTemporaryDirectory { dir in
            let good = dir + "/good.strata", h5 = dir + "/out.h5"
            try ProbeCLI.writeShard(good, count: 6)
            let dead = FileReplacement.partialPath(of: h5, pid: OutputFixtures.deadPID)
            let running = FileReplacement.partialPath(of: h5, pid: getpid())
            for path in [dead, running] { try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: path)) }
            let export = try CLIRunner.run(["export-hdf5", good, h5])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains("removed \(dead), left by a killed export"), "\(export.stdout)")
            #expect(!FileManager.default.fileExists(atPath: dead))
            #expect(FileManager.default.fileExists(atPath: running), "a running process's partial file must be left alone")
        }
    }

    @Test func foundationFileErrorsArePrintedAsPathAndReason() throws {
        try withTemporaryDirectory { dir in
            try CaptureCommandTests.synthModel(dir + "/m.gguf")
            let missing = dir + "/nowhere/texts.txt"
            let result = try CLIRunner.run(["tokenize", "--model", dir + "/m.gguf", "--file", missing])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(missing): cannot read: no such file or directory"), "\(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Code="), "\(result.stderr)")
        }
    }
}
