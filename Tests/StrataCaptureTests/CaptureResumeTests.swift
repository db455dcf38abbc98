import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataCapture

/// --resume after a crash at any byte: the kill is simulated by cutting the part being written at
/// chosen offsets (the state a kill -9 leaves, as the format's crash contract describes) and removing
/// what a killed run would not have written yet. A real kill -9 is in the CLI tests.
struct CaptureResumeTests {
    @Test func resumeAfterACrashAtAnyPointGivesTheUninterruptedDataset() throws {
        try withTemporaryDirectory { dir in
            var options = try CaptureFixture.standardOptions(in: dir, out: dir + "/ref")
            options.dtype = .f32
            options.batchTokens = 30
            options.partBytes = 6000
            try CaptureJob(options: options).run()
            let reference = try CaptureFixture.records(dir + "/ref")
            let parts = try DatasetManifest.read(path: dir + "/ref/manifest.json").shards.map(\.path)
            #expect(parts.count >= 3)

            let fm = FileManager.default
            var scenarios: [(part: Int, cut: Int)] = []
            for part in [0, parts.count / 2, parts.count - 1] {
                let size = (try fm.attributesOfItem(atPath: dir + "/ref/" + parts[part])[.size] as? NSNumber)?.intValue ?? 0
                scenarios += [(part, 10), (part, size / 3), (part, (2 * size) / 3), (part, size - 33), (part, size - 1)]
            }
            for (n, scenario) in scenarios.enumerated() {
                let crashed = dir + "/crash-\(n)"
                try fm.createDirectory(atPath: crashed, withIntermediateDirectories: true)
                for name in parts[0...scenario.part] { try fm.copyItem(atPath: dir + "/ref/" + name, toPath: crashed + "/" + name) }
                let cutPath = crashed + "/" + parts[scenario.part]
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: cutPath))
                try handle.truncate(atOffset: UInt64(scenario.cut))
                try handle.close()

                var resume = options
                resume.outputDirectory = crashed
                resume.resume = true
                let report = try CaptureJob(options: resume).run()
                #expect(report.recordsInDataset == reference.count)
                #expect(report.recordsWritten + report.alreadyCaptured == reference.count)
                let resumed = try CaptureFixture.records(crashed)
                #expect(resumed.map(\.info.id) == reference.map(\.info.id), "part \(scenario.part) cut at \(scenario.cut)")
                for (a, b) in zip(resumed, reference) {
                    #expect(a.info.tokenIDs == b.info.tokenIDs && a.info.labels == b.info.labels && a.info.text == b.info.text)
                    #expect(a.values == b.values, "record \(a.info.id) after a cut in part \(scenario.part) at \(scenario.cut)")
                }
                _ = try StrataVerifier.verify(path: crashed)
                try fm.removeItem(atPath: crashed)
            }
        }
    }

    @Test func resumeIntoAnEmptyOrMissingDirectoryStartsFresh() throws {
        try withTemporaryDirectory { dir in
            var options = CaptureFixture.options(
                model: try CaptureFixture.model(in: dir), input: try CaptureFixture.jsonl(in: dir), out: dir + "/new")
            options.resume = true
            let report = try CaptureJob(options: options).run()
            #expect(report.recordsWritten == CaptureFixture.texts.count && report.alreadyCaptured == 0)
        }
    }
}
