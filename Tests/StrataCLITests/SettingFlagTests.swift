import Foundation
import StrataTestSupport
import Testing

/// The libraries name a refused setting in words ("memory budget"); the command line names the flag that
/// set it ("--memory-budget"), through the one table every command's errors pass (`SettingFlags`).
@Suite struct SettingFlagTests {
    /// A library's refusal reaches the user written with flags, and without the library's words for the setting.
    @Test func libraryRefusalsNameTheFlag() throws {
        try withTemporaryDirectory { dir in
            let data = dir + "/train.strata", out = dir + "/p.probe"
            try ProbeCLI.writeShard(data, count: 12)
            let train = ["train", "--data", data, "--out", out, "--threads", "1"]
            for (arguments, expected, words) in [
                (train + ["--probe", "mha", "--heads", "0"], "--heads 0: must be at least 1", "attention heads"),
                (
                    train + ["--probe", "last-token", "--layers", "0,2"], "--layers 0,2: the last-token probe reads exactly one layer",
                    "invalid value"
                ),
                (
                    train + ["--probe", "gate", "--memory-budget", "512KiB"], "--memory-budget 512KiB: expected a size of at least 1MiB",
                    "memory budget"
                ),
                (
                    ["capture", "--model", dir + "/none.gguf", "--input", dir + "/none.jsonl", "--out", dir + "/c", "--max-tokens", "0"],
                    "--max-tokens 0: must be at least 1", "max tokens"
                ),
                (
                    ["capture", "--model", dir + "/none.gguf", "--input", dir + "/none.jsonl", "--out", dir + "/c", "--truncate"],
                    "--truncate: needs --max-tokens (the number of tokens to keep)", "truncation"
                ),
                (
                    ["split", data, "--out", dir + "/s", "--train", "1.5"],
                    "--train/--val/--test train 1.5: each part's fraction must be in [0, 1]",
                    "split parts"
                )
            ] {
                let result = try CLIRunner.run(arguments)
                #expect(result.status != 0 && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
                #expect(!result.stderr.contains(words), "\(arguments): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// `capture --shard`, `train --tune-budget` and `train --c-grid` are parsed by the argument parser: a bad value
    /// is refused with the flag's usage (exit status 64) before anything runs.
    @Test func typedFlagsAreRefusedByTheParser() throws {
        try withTemporaryDirectory { dir in
            let data = dir + "/train.strata"
            try ProbeCLI.writeShard(data, count: 12)
            let capture = ["capture", "--model", dir + "/none.gguf", "--input", dir + "/none.jsonl", "--out", dir + "/c"]
            let train = ["train", "--data", data, "--out", dir + "/p.probe", "--probe", "pooling"]
            for (arguments, flag) in [
                (capture + ["--shard", "4/4"], "'--shard <i/n>'"), (capture + ["--shard", "1-4"], "'--shard <i/n>'"),
                (train + ["--tune", "--tune-budget", "ten"], "'--tune-budget <duration>'"),
                (train + ["--tune-budget", "0s"], "'--tune-budget <duration>'"),
                (train + ["--solver", "lbfgs", "--c-grid", "1,-2"], "'--c-grid <numbers>'"),
                (train + ["--c-grid", "1,,2"], "'--c-grid <numbers>'")
            ] {
                let result = try CLIRunner.run(arguments)
                #expect(result.status == 64, "\(arguments): \(result.stderr)")
                #expect(
                    result.stderr.contains("is invalid for \(flag)") && result.stderr.contains("Usage:"), "\(arguments): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/c") && !FileManager.default.fileExists(atPath: dir + "/p.probe"))
        }
    }
}
