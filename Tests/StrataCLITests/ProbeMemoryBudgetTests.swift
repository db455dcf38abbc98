import Foundation
import Strata
import StrataTestSupport
import Testing

/// `strata train --memory-budget B` bounds the whole process: peak RSS ≤ B + the fixed overhead that
/// `strata train --help` states (spec/PROBES.md §3) for every probe kind, with and without `--val`, with and
/// without the epoch and feature caches. Each run is a fresh `strata train` process; its peak RSS is the VmHWM
/// it reports from /proc/self/status as it finishes or the VmHWM this test reads from /proc/<pid>/status while it
/// runs, whichever is larger.
enum MemoryBudgetRuns {
    /// The overhead as `--help` states it ("… plus a fixed 64MiB."); the tests fail when it is not stated.
    static let overhead: Int = {
        let help = (try? CLIRunner.run(["train", "--help"]).stdout) ?? ""
        let words = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard let range = words.range(of: "plus a fixed "),
            let megabytes = Int(words[range.upperBound...].prefix(while: \.isNumber))
        else { return 0 }
        return megabytes << 20
    }()

    struct Outcome {
        var peak: Int
        var stderr: String
    }

    /// Runs `strata train ARGS --memory-budget B` and checks its peak against B + the stated overhead.
    static func train(_ arguments: [String], budgetMiB: Int, _ what: String, in dir: String) throws -> Outcome {
        #expect(overhead > 0, "strata train --help does not state the fixed overhead beyond --memory-budget")
        let out = dir + "/train.out", err = dir + "/train.err"
        let process = try CLIRunner.start(arguments + ["--memory-budget", "\(budgetMiB)MiB"], stdout: out, stderr: err)
        var observed = 0
        while process.isRunning {
            observed = max(observed, highWaterMark(of: process.processIdentifier) ?? 0)
            usleep(20_000)
        }
        process.waitUntilExit()
        let stdout = String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(what): \(stderr)")
        // Both are lower bounds of the true peak: the report is read just before the process exits, the
        // polled value whenever this test looked last.
        let line = stdout.split(separator: "\n").first { $0.hasPrefix("peak_rss_bytes=") }
        let reported = try #require(line.flatMap { Int($0.dropFirst("peak_rss_bytes=".count)) }, "\(what): no peak_rss_bytes line")
        let peak = max(reported, observed)
        FileHandle.standardError.write(Data("\(what): peak RSS \(peak >> 20) MiB (budget \(budgetMiB) MiB)\n".utf8))
        #expect(
            peak <= (budgetMiB << 20) + overhead,
            "\(what): peak RSS \(peak >> 20) MiB > budget \(budgetMiB) MiB + \(overhead >> 20) MiB")
        return Outcome(peak: peak, stderr: stderr)
    }

    /// VmHWM of a running process, nil once it is gone.
    static func highWaterMark(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    static let kinds = ["pooling", "gate", "mha", "last-token", "mean-last", "logits"]
    static let headOnlyKinds: Set = ["pooling", "last-token", "mean-last", "logits"]
}

/// Streaming every epoch (no caches): the dataset is 7× the budget as f32 (plus a 49,152-wide logit vector
/// per record, as `capture --save-logits` stores for SmolLM2), and every kind stays within the bound.
@Test func trainingPeakMemoryStaysWithinTheBudgetForEveryProbeKind() throws {
    try withTemporaryDirectory("memory-budget") { dir in
        let train = dir + "/train.strata", validation = dir + "/val.strata"
        try ProbeCLI.writeShard(train, count: 256, layers: 8, hidden: 128, tokens: 96...128, logprobs: true, logprobWidth: 49_152)
        try ProbeCLI.writeShard(validation, count: 48, layers: 8, hidden: 128, tokens: 96...128, logprobs: true, logprobWidth: 49_152)
        let budgetMiB = 16
        let reader = try StrataDataset(path: train).shards[0]
        let valuesF32 = try (0..<reader.count).reduce(0) { $0 + (try reader.tokenCount($1)) } * 8 * 128 * 4
        #expect(valuesF32 > (budgetMiB << 20) + MemoryBudgetRuns.overhead, "the dataset must not fit in the bound")
        for kind in MemoryBudgetRuns.kinds {
            for validationArguments in [["--val-fraction", "0"], ["--val", validation]] {
                let run = try MemoryBudgetRuns.train(
                    [
                        "train", "--data", train, "--probe", kind, "--out", dir + "/\(kind).probe", "--epochs", "1", "--batch-size", "16",
                        "--feature-cache", "off", "--epoch-cache", "off", "--solver", "adamw"
                    ] + validationArguments,
                    budgetMiB: budgetMiB, "\(kind) \(validationArguments.joined(separator: " "))", in: dir)
                #expect(!run.stderr.contains("computed once") && !run.stderr.contains("cached after epoch 1"))
            }
        }
    }
}

/// With the caches on (their default): the feature cache for head-only probes and the epoch cache for the
/// gate and MHA probes, two epochs, validation held out — caches, queue and chunks share the one budget.
@Test func trainingPeakMemoryStaysWithinTheBudgetWithTheEpochAndFeatureCaches() throws {
    try withTemporaryDirectory("memory-budget-caches") { dir in
        let data = dir + "/data.strata"
        try ProbeCLI.writeShard(data, count: 80, layers: 8, hidden: 128, tokens: 32...64, logprobs: true, logprobWidth: 49_152)
        let budgetMiB = 96
        for kind in MemoryBudgetRuns.kinds {
            for validationFraction in ["0", "0.2"] {
                let run = try MemoryBudgetRuns.train(
                    [
                        "train", "--data", data, "--probe", kind, "--out", dir + "/\(kind).probe", "--epochs", "2", "--batch-size", "16",
                        "--val-fraction", validationFraction
                    ],
                    budgetMiB: budgetMiB, "\(kind) with caches, --val-fraction \(validationFraction)", in: dir)
                let expected =
                    MemoryBudgetRuns.headOnlyKinds.contains(kind) ? "pooled features computed once" : "decoded records cached after epoch 1"
                #expect(run.stderr.contains(expected), "\(kind): the cache was not used: \(run.stderr.prefix(400))")
            }
        }
    }
}

/// Peak memory follows the budget, not the dataset: 32× more records (16× the budget as f32) add less than
/// the budget to the peak.
@Test func trainingPeakMemoryDoesNotGrowWithTheDataset() throws {
    try withTemporaryDirectory("memory-growth") { dir in
        let big = dir + "/big.strata", small = dir + "/small.strata"
        // 256 records × 128 tokens × 8 layers × 128 hidden = 128 MiB as f32 (64 MiB stored as f16).
        try ProbeCLI.writeShard(big, count: 256, layers: 8, hidden: 128, tokens: 128...128)
        try ProbeCLI.writeShard(small, count: 8, layers: 8, hidden: 128, tokens: 128...128)
        let budgetMiB = 8
        func peak(_ data: String) throws -> Int {
            try MemoryBudgetRuns.train(
                [
                    "train", "--data", data, "--probe", "pooling", "--out", dir + "/p.probe", "--epochs", "1", "--batch-size", "16",
                    "--val-fraction", "0", "--quiet"
                ], budgetMiB: budgetMiB, data, in: dir
            ).peak
        }
        let smallPeak = try peak(small), bigPeak = try peak(big)
        #expect(bigPeak - smallPeak < budgetMiB << 20, "peak grew from \(smallPeak >> 20) to \(bigPeak >> 20) MiB with dataset size")
    }
}
