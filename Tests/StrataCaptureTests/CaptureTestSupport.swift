import Foundation
import Strata
import StrataModel

@testable import StrataCapture

/// Shared fixtures: a unique temp directory per test, a tiny synthetic GGUF model, small inputs.
enum CaptureFixture {

    /// Writes the tiny model into `dir` and returns its path.
    static func model(in dir: String, contextLength: Int = 256, seed: UInt64 = 3) throws -> String {
        let path = dir + "/tiny.gguf"
        try SyntheticModel(
            blocks: 2, hidden: 16, feedForward: 24, heads: 2, keyValueHeads: 1, contextLength: contextLength,
            seed: seed
        ).write(to: path)
        return path
    }

    static let texts = [
        "the film is a delight and the cast is in fine form",
        "a dull, lifeless story",
        "it is the best thing i have seen all year",
        "nothing works here.",
        "and so on, and so forth",
        "café au lait — naïve résumé ✓",
        "short",
        "an honest and moving portrait of a family that falls apart",
        "it stars nobody and goes nowhere",
        "what a treat",
        "the end"
    ]

    /// A JSONL file with `texts` (ids t0, t1, ...; labels alternating 0/1) plus `extraLines` verbatim.
    static func jsonl(in dir: String, name: String = "in.jsonl", texts: [String] = texts, extraLines: [[UInt8]] = []) throws -> String {
        var bytes: [UInt8] = []
        for (i, text) in texts.enumerated() {
            let object: [String: Any] = ["id": "t\(i)", "text": text, "label": i % 2]
            bytes += Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) + [0x0A]
        }
        for line in extraLines { bytes += line + [0x0A] }
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Options for a capture as `strata capture` runs it, OpenBLAS on one thread included (the `strata` process
    /// sets that at start; a test process starts with one thread per core, and tests that compare captures
    /// to the bit need every product on one shape and one thread). No test sets any other count.
    static func options(model: String, input: String, out: String) -> CaptureOptions {
        BLASThreads.set(1)
        var o = CaptureOptions(modelPath: model, inputPath: input, outputDirectory: out)
        o.threads = 1
        return o
    }

    /// Options capturing `texts` (in `dir`/in.jsonl) with the fixture model (in `dir`) into `out`: the
    /// starting point of most capture tests.
    static func standardOptions(in dir: String, out: String) throws -> CaptureOptions {
        options(model: try model(in: dir), input: try jsonl(in: dir), out: out)
    }

    /// Every record of a dataset: info and all values as f32.
    static func records(_ path: String) throws -> [(info: RecordInfo, values: [Float])] {
        let dataset = try StrataDataset(path: path)
        return try (0..<dataset.count).map { (try dataset.info($0), try dataset.readFloat($0)) }
    }
}
