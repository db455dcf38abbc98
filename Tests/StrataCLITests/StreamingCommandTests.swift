import Foundation
import Strata
import StrataTestSupport
import Testing

/// End-to-end checks of `strata merge / split / shard / stream` through the built binary:
/// capture-worker outputs merge into one dataset, splits are fixed, streams visit every record
/// once per epoch across 1–3 workers, resume is exact, memory stays bounded, and a reader keeps
/// working while another process appends a shard.
@Suite struct StreamingCommandTests {
    /// Runs `strata` and expects success.
    @discardableResult
    static func ok(_ args: [String]) throws -> CLIRunner.Result {
        let result = try CLIRunner.run(args)
        #expect(result.status == 0, "strata \(args.joined(separator: " ")) failed: \(result.stderr)")
        return result
    }

    static func synth(
        _ path: String, records: Int, prefix: String, seed: UInt64, hidden: Int = 16, layers: Int = 4,
        tokens: (Int, Int) = (2, 6), dtype: String = "bf16"
    ) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Self.ok([
            "synth", "--out", path, "--records", "\(records)", "--layer-count", "\(layers)", "--hidden", "\(hidden)",
            "--min-tokens", "\(tokens.0)", "--max-tokens", "\(tokens.1)", "--dtype", dtype, "--labels", "2",
            "--id-prefix", prefix, "--seed", "\(seed)", "--zstd-level", "1"
        ])
    }

    static func ids(_ args: [String]) throws -> [String] {
        try Self.ok(["stream"] + args + ["--ids"]).stdout.split(separator: "\n").map(String.init)
    }

    static func summary(_ result: CLIRunner.Result) throws -> [String: Any] {
        let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    /// Two `--shard i/2`-style worker outputs: 23 records with ids a0…a12 and b0…b9.
    static func workerDataset(_ dir: String) throws -> [String] {
        try synth(dir + "/w0/part.strata", records: 13, prefix: "a", seed: 1)
        try synth(dir + "/w1/part.strata", records: 10, prefix: "b", seed: 2)
        try Self.ok(["merge", dir + "/w0", dir + "/w1", "--out", dir + "/ds"])
        return (0..<13).map { "a\($0)" } + (0..<10).map { "b\($0)" }
    }

    @Test func mergeThenStreamEveryRecordOncePerEpochFor1To3Workers() throws {
        try withTemporaryDirectory { dir in
            let all = try Self.workerDataset(dir)
            let ds = dir + "/ds"
            let epoch0 = try Self.ids([ds, "--seed", "7", "--epoch", "0"])
            #expect(epoch0.sorted() == all.sorted())
            #expect(epoch0 != all)
            #expect(try Self.ids([ds, "--seed", "7", "--epoch", "0"]) == epoch0)
            let epoch1 = try Self.ids([ds, "--seed", "7", "--epoch", "1"])
            #expect(epoch1 != epoch0 && epoch1.sorted() == all.sorted())
            #expect(try Self.ids([ds, "--sequential"]) == all)
            for world in 1...3 {
                var union: [String] = []
                for rank in 0..<world {
                    let part = try Self.ids([ds, "--seed", "7", "--epoch", "1", "--rank", "\(rank)", "--world", "\(world)"])
                    #expect(abs(part.count - all.count / world) <= 1)
                    union += part
                }
                #expect(union == epoch1) // the ranks' shares tile the epoch order
                var even: [String] = []
                for rank in 0..<world {
                    let part = try Self.ids([ds, "--seed", "7", "--epoch", "1", "--rank", "\(rank)", "--world", "\(world)", "--even-shares"]
                    )
                    #expect(part.count == all.count / world)
                    even += part
                }
                #expect(even == Array(epoch1.prefix(all.count - all.count % world)))
            }
        }
    }

    @Test func resumeAfterNRecordsEqualsTheUninterruptedRun() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.workerDataset(dir)
            let ds = dir + "/ds"
            for (rank, world) in [(0, 1), (1, 2), (2, 3)] {
                let partition = ["--seed", "11", "--epoch", "2", "--rank", "\(rank)", "--world", "\(world)"]
                let full = try Self.ids([ds] + partition)
                for stop in [0, 1, full.count / 2, full.count] {
                    let state = dir + "/state-\(rank)-\(stop).json"
                    let first = try Self.ids([ds] + partition + ["--stop-after", "\(stop)", "--save-state", state])
                    let rest = try Self.ids([ds, "--resume-state", state])
                    #expect(first + rest == full)
                }
            }
            // A state does not resume a different epoch, and a changed dataset is refused.
            let state = dir + "/state.json"
            _ = try Self.ids([ds, "--seed", "1", "--stop-after", "3", "--save-state", state])
            let wrongEpoch = try CLIRunner.run(["stream", ds, "--resume-state", state, "--epoch", "5", "--ids"])
            #expect(wrongEpoch.status != 0 && wrongEpoch.stderr.contains("epoch"))
            try Self.synth(dir + "/w1/part.strata", records: 10, prefix: "b", seed: 99)
            try FileManager.default.removeItem(atPath: ds + "/part-2.strata")
            try FileManager.default.copyItem(atPath: dir + "/w1/part.strata", toPath: ds + "/part-2.strata")
            try Self.ok(["merge", dir + "/w0/part.strata", ds + "/part-2.strata", "--out", dir + "/ds2"])
            try FileManager.default.copyItem(atPath: dir + "/ds2/manifest.json", toPath: ds + "/manifest.new")
            _ = rename(ds + "/manifest.new", ds + "/manifest.json")
            let changed = try CLIRunner.run(["stream", ds, "--resume-state", state, "--ids"])
            #expect(changed.status != 0)
            #expect(changed.stderr.contains("dataset changed"))
        }
    }

    /// kill -9 in the middle of an epoch, then resume from the periodically saved state: the ids
    /// printed up to the saved position plus the resumed run are exactly the uninterrupted epoch.
    @Test func resumeExactlyAfterKill() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.workerDataset(dir)
            let ds = dir + "/ds", state = dir + "/state.json", out = dir + "/killed.txt"
            let full = try Self.ids([ds, "--seed", "9", "--epoch", "1"])
            let victim = try CLIRunner.start(
                [
                    "stream", ds, "--seed", "9", "--epoch", "1", "--ids", "--step-ms", "40",
                    "--save-state", state, "--save-every", "3"
                ], stdout: out)
            let deadline = Date().addingTimeInterval(60)
            var saved: StreamState?
            while Date() < deadline, victim.isRunning {
                if let current = try? StreamState.load(from: state), current.position >= 9 {
                    saved = current
                    break
                }
                usleep(5000)
            }
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            #expect(victim.terminationReason == .uncaughtSignal)
            let printed = (try String(contentsOfFile: out, encoding: .utf8)).split(separator: "\n").map(String.init)
            let position = try StreamState.load(from: state).position
            #expect(position >= (saved?.position ?? 9) && position < full.count)
            #expect(printed.count >= position)
            let rest = try Self.ids([ds, "--resume-state", state])
            #expect(Array(printed.prefix(position)) + rest == full)
        }
    }

    @Test func splitMakesFixedStratifiedSets() throws {
        try withTemporaryDirectory { dir in
            let all = try Self.workerDataset(dir)
            for out in ["s1", "s2"] {
                try Self.ok([
                    "split", dir + "/ds", "--out", dir + "/" + out, "--train", "0.6", "--val", "0.2", "--test", "0.2",
                    "--stratify", "label", "--seed", "5", "--records-per-shard", "4"
                ])
            }
            var union: [String] = []
            for part in ["train", "val", "test"] {
                let first = try Self.ids([dir + "/s1/" + part, "--sequential"])
                #expect(try Self.ids([dir + "/s2/" + part, "--sequential"]) == first)
                union += first
            }
            #expect(union.sorted() == all.sorted())
            let dataset = try StrataDataset(path: dir + "/s1/train")
            #expect(dataset.manifest?.extra["split"] == "train")
            #expect(abs(dataset.count - 14) <= 1)
        }
    }

    @Test func mergeRefusesIncompatibleWorkersNamingTheField() throws {
        try withTemporaryDirectory { dir in
            try Self.synth(dir + "/a.strata", records: 2, prefix: "a", seed: 1, hidden: 16)
            try Self.synth(dir + "/b.strata", records: 2, prefix: "b", seed: 1, hidden: 24)
            let result = try CLIRunner.run(["merge", dir + "/a.strata", dir + "/b.strata", "--out", dir + "/ds"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("'hidden'"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/ds/manifest.json"))
        }
    }

    @Test func reshardKeepsRecordsAndOrder() throws {
        try withTemporaryDirectory { dir in
            let all = try Self.workerDataset(dir)
            try Self.ok(["shard", dir + "/ds", "--out", dir + "/rs", "--records-per-shard", "5"])
            let dataset = try StrataDataset(path: dir + "/rs")
            #expect(dataset.shards.map(\.count) == [5, 5, 5, 5, 3])
            #expect(try Self.ids([dir + "/rs", "--sequential"]) == all)
            let original = try StrataDataset(path: dir + "/ds")
            for i in [0, 12, 13, 22] { #expect(try dataset.readFloat(i) == original.readFloat(i)) }
            let both = try CLIRunner.run(["shard", dir + "/ds", "--out", dir + "/x", "--records-per-shard", "5", "--shard-size", "1MB"])
            #expect(both.status != 0)
        }
    }

    @Test func manifestPointingOutsideIsRefused() throws {
        try withTemporaryDirectory { dir in
            _ = try Self.workerDataset(dir)
            let manifestPath = dir + "/ds/manifest.json"
            let text = try String(contentsOfFile: manifestPath, encoding: .utf8)
            try text.replacingOccurrences(of: "\"part-2.strata\"", with: "\"../w1/part.strata\"")
                .write(toFile: manifestPath, atomically: true, encoding: .utf8)
            let result = try CLIRunner.run(["stream", dir + "/ds", "--ids"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("inside the dataset"))
        }
    }

    /// Peak RSS of a decoding `strata stream` over a dataset many times its prefetch budget stays
    /// within its ids-only baseline + budget + a few records + allocator slack.
    @Test func streamingMemoryStaysBoundedOnADatasetManyTimesTheBudget() throws {
        try withTemporaryDirectory { dir in
            // Six shards of 40 records with distinct ids (a dataset may not hold one file or id twice).
            let names = (0..<6).map { dir + "/ds/s\($0).strata" }
            for (k, name) in names.enumerated() {
                try Self.synth(
                    name, records: 40, prefix: "s\(k)-", seed: UInt64(3 + k), hidden: 256, layers: 8, tokens: (16, 48), dtype: "f16")
            }
            try Self.ok(["merge"] + names + ["--out", dir + "/ds"])
            let budget = 2 << 20
            let decoded = try Self.summary(Self.ok(["stream", dir + "/ds", "--seed", "1", "--prefetch", "\(budget)", "--threads", "2"]))
            let baseline = try Self.summary(Self.ok(["stream", dir + "/ds", "--seed", "1", "--ids", "--layers", "none"]))
            let valueBytes = try #require(decoded["value_bytes"] as? Int)
            let largestRecord = 8 * 48 * 256 * 4
            let allowance = budget + 4 * largestRecord + (8 << 20)
            #expect(valueBytes > 4 * allowance) // the data streamed is several times what may stay resident
            let peak = try #require(decoded["peak_rss_bytes"] as? Int)
            let base = try #require(baseline["peak_rss_bytes"] as? Int)
            #expect(peak - base <= allowance, "peak RSS \(peak) vs ids-only \(base): \(peak - base) bytes above baseline")
            #expect(try #require(decoded["peak_prefetch_bytes"] as? Int) <= budget)
            #expect(decoded["records"] as? Int == 240)
        }
    }

    /// A reader keeps streaming its epoch while another process appends shards and rewrites
    /// the manifest; every manifest it opens meanwhile is complete; the next epoch sees the
    /// new shards, and a state saved before the append still resumes exactly.
    @Test func readerKeepsWorkingWhileAnotherProcessAppendsShards() throws {
        try withTemporaryDirectory { dir in
            let original = try Self.workerDataset(dir)
            let ds = dir + "/ds"
            for k in 0..<4 { try Self.synth(dir + "/new/n\(k).strata", records: 3, prefix: "n\(k)-", seed: UInt64(10 + k)) }

            var options = StreamOptions()
            options.seed = 4
            options.prefetchBytes = 4096
            let stream = try StrataStream(source: StrataDataset(path: ds), options: options)
            var seen = try stream.nextBatch(5).map(\.id)
            let savedBeforeAppend = stream.state

            // Another process appends the four shards one merge at a time.
            let script = (0..<4).map { k in "'\(try! CLIRunner.binaryPath())' merge '\(dir)/new/n\(k).strata' --out '\(ds)' --append" }
                .joined(separator: " && ")
            let appender = Process()
            appender.executableURL = URL(fileURLWithPath: "/bin/sh")
            appender.arguments = ["-c", script]
            try appender.run()
            var opened = 0
            while appender.isRunning || opened == 0 {
                let snapshot = try StrataDataset(path: ds) // never a torn manifest
                #expect(snapshot.count >= original.count)
                opened += 1
                if let record = try stream.next() { seen.append(record.id) }
            }
            appender.waitUntilExit()
            #expect(appender.terminationStatus == 0)
            while let record = try stream.next() {
                #expect(record.values.count == record.layerCount * record.nTokens * record.hidden)
                seen.append(record.id)
            }
            #expect(seen.sorted() == original.sorted()) // this epoch: exactly the shards it started with

            let grown = try StrataDataset(path: ds)
            #expect(grown.count == original.count + 12)
            var next = options
            next.epoch = 1
            let epoch1 = try StrataStream(source: grown, options: next)
            var all: [String] = []
            while let record = try epoch1.next() { all.append(record.id) }
            #expect(all.count == original.count + 12 && Set(all).count == all.count)

            let resumed = try StrataStream(source: grown, options: options, resume: savedBeforeAppend)
            var rest: [String] = []
            while let record = try resumed.next() { rest.append(record.id) }
            #expect(Array(seen.prefix(5)) + rest == seen)
        }
    }
}
