import Foundation
import Strata
import StrataModel
import StrataTestSupport
import StrataUtilities
import Testing

@testable import StrataCapture

/// `--workers`: several forward passes at once write exactly the dataset of one worker (records in input
/// order, every byte of every part file), including sharded and resumed captures. Products run on one
/// OpenBLAS thread, as in `strata capture` (`CaptureFixture.options` sets it).
struct CaptureWorkersTests {
    /// The part files of a capture directory, by name.
    static func parts(_ directory: String) throws -> [String: Data] {
        let names = try DatasetManifest.read(path: directory + "/manifest.json").shards.map(\.path)
        return try Dictionary(
            uniqueKeysWithValues: names.map {
                ($0, try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)))
            })
    }

    @Test func workersWriteTheSameFilesAsOneWorker() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try CaptureFixture.model(in: dir)
            let input = try CaptureFixture.jsonl(in: dir, texts: CaptureFixture.texts + CaptureFixture.texts.map { $0 + " again" })
            var reference: [String: Data] = [:]
            for (workers, threads) in [(1, 2), (2, 1), (3, 1)] {
                var options = CaptureFixture.options(model: modelPath, input: input, out: dir + "/w\(workers)")
                options.workers = workers
                options.threads = threads
                options.batchTokens = 20 // 22 texts in about 15 batches: many batches per worker
                options.partBytes = 8000 // several parts, sealed at the same records
                options.saveLogits = true
                let report = try CaptureJob(options: options).run()
                #expect(report.recordsWritten == 22)
                let parts = try Self.parts(dir + "/w\(workers)")
                #expect(parts.count >= 3)
                if workers == 1 { reference = parts } else { #expect(parts == reference, "\(workers) workers") }
            }
            let records = try CaptureFixture.records(dir + "/w2")
            #expect(records.map(\.info.id) == (0..<22).map { "t\($0)" })
        }
    }

    @Test func shardResumedWithTwoWorkersEqualsOneUninterruptedWorker() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try CaptureFixture.model(in: dir)
            let input = try CaptureFixture.jsonl(in: dir, texts: CaptureFixture.texts + CaptureFixture.texts.map { "also " + $0 })
            var options = CaptureFixture.options(model: modelPath, input: input, out: dir + "/ref")
            options.shard = try CaptureShard(parsing: "1/2")
            options.dtype = .f32
            options.batchTokens = 16
            options.partBytes = 3000
            options.workers = 1
            try CaptureJob(options: options).run()
            let reference = try CaptureFixture.records(dir + "/ref")
            let parts = try DatasetManifest.read(path: dir + "/ref/manifest.json").shards.map(\.path)
            #expect(reference.count == 11 && parts.count >= 3)

            // A run killed while writing its second part: the first part, and half of the second.
            let partial = dir + "/partial"
            try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
            for name in parts[0...1] { try FileManager.default.copyItem(atPath: dir + "/ref/" + name, toPath: partial + "/" + name) }
            let cut = try FileHandle(forWritingTo: URL(fileURLWithPath: partial + "/" + parts[1]))
            try cut.truncate(atOffset: try cut.seekToEnd() / 2)
            try cut.close()

            var resume = options
            resume.outputDirectory = partial
            resume.resume = true
            resume.workers = 2
            let report = try CaptureJob(options: resume).run()
            #expect(report.alreadyCaptured > 0 && report.recordsWritten + report.alreadyCaptured == reference.count)
            let resumed = try CaptureFixture.records(partial)
            #expect(resumed.map(\.info.id) == reference.map(\.info.id))
            for (a, b) in zip(resumed, reference) {
                #expect(
                    a.info.tokenIDs == b.info.tokenIDs && a.info.labels == b.info.labels && a.values == b.values,
                    "record \(a.info.id)")
            }
            _ = try StrataVerifier.verify(path: partial)
        }
    }

    @Test func invalidWorkerCountIsRejected() throws {
        var options = CaptureOptions(modelPath: "m.gguf", inputPath: "in.jsonl", outputDirectory: "/nonexistent/out")
        options.workers = 0
        #expect(throws: CaptureError.invalidSetting(InvalidSetting(CaptureSetting.workers, value: "0", "must be at least 1"))) {
            try CaptureJob(options: options).run()
        }
    }
}
