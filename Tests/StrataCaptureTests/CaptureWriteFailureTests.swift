import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataCapture

/// The output failing mid-run, written inline or by the background writer: the error reaches the caller,
/// nothing after the failed record is written, what was sealed before it is the uninterrupted run's
/// first records to the bit, and `--resume` completes the dataset.
struct CaptureWriteFailureTests {
    @Test(arguments: [true, false])
    func aWriteErrorMidRunStopsTheCaptureWithNothingWrittenAfterIt(overlap: Bool) throws {
        try withTemporaryDirectory { dir in
            let fm = FileManager.default
            let modelPath = try CaptureFixture.model(in: dir)
            var options = CaptureFixture.options(model: modelPath, input: try CaptureFixture.jsonl(in: dir), out: dir + "/ref")
            options.dtype = .f32
            options.batchTokens = 20 // a few texts per batch, so batches queue behind the writer
            options.partBytes = 3000
            options.overlapWriting = overlap
            try CaptureJob(options: options).run()
            let reference = try CaptureFixture.records(dir + "/ref")
            let referenceParts = try DatasetManifest.read(path: dir + "/ref/manifest.json").shards
            try #require(referenceParts.count >= 4, "the failure must come with records still to write")

            // The writer fails when it opens the third part: by then a directory holds that name. It is made
            // once the output directory is locked and checked (the resume log line), before any record is
            // written; --resume on a fresh directory starts a fresh capture.
            let out = dir + "/out", blocker = out + "/capture.part-00002.strata"
            options.outputDirectory = out
            options.resume = true
            let job = CaptureJob(options: options)
            job.log = { message in
                if message.hasPrefix("resume:") { try? fm.createDirectory(atPath: blocker, withIntermediateDirectories: false) }
            }
            let error = #expect(throws: (any Error).self) { try job.run() }
            #expect("\(error.map { "\($0)" } ?? "")".contains("capture.part-00002.strata"), "\(String(describing: error))")

            // Sealed and listed: the first two parts, exactly the reference's first records; nothing after.
            let entries = try fm.contentsOfDirectory(atPath: out).filter { !$0.hasPrefix(".") }.sorted()
            #expect(entries == ["capture.part-00000.strata", "capture.part-00001.strata", "capture.part-00002.strata", "manifest.json"])
            let written = try CaptureFixture.records(out)
            let expectedCount = referenceParts[0].records + referenceParts[1].records
            #expect(written.count == expectedCount)
            #expect(written.map(\.info.id) == reference.prefix(expectedCount).map(\.info.id))
            for (a, b) in zip(written, reference) { #expect(a.values == b.values, "record \(a.info.id)") }
            #expect(!fm.fileExists(atPath: dir + "/out/capture-report.json"))

            // With the obstacle gone, --resume completes the uninterrupted run's dataset.
            try fm.removeItem(atPath: blocker)
            let report = try CaptureJob(options: options).run()
            #expect(report.alreadyCaptured == expectedCount)
            let resumed = try CaptureFixture.records(out)
            #expect(resumed.map(\.info.id) == reference.map(\.info.id))
            for (a, b) in zip(resumed, reference) { #expect(a.values == b.values, "record \(a.info.id)") }
            _ = try StrataVerifier.verify(path: out)
        }
    }
}
