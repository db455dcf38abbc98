import Foundation
import Strata
import StrataTestSupport
import Testing

/// One spelling, one meaning (issue 16): every size flag follows one rule and says so in `--help`; `--layers`
/// takes hidden-state indices everywhere, `stream --layer-positions` positions; counts are `--layer-count`.
@Suite struct FlagMeaningTests {
    static let sizeFlags: [(command: String, flag: String)] = [
        ("train", "--memory-budget"), ("eval", "--memory-budget"), ("features", "--memory-budget"), ("layers", "--memory-budget"),
        ("stream", "--prefetch"), ("shard", "--shard-size"), ("capture", "--max-row-bytes"), ("capture", "--part-size")
    ]

    @Test(arguments: sizeFlags)
    func sizeHelpStatesTheRule(command: String, flag: String) throws {
        let help = try CLIRunner.run([command, "--help"])
        #expect(help.status == 0)
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("\(flag) <size>"), "\(command) --help: \(flag) takes a <size>")
        #expect(text.contains("1MB = 1,000,000 bytes") && text.contains("1MiB = 1,048,576 bytes"), "\(command) --help states the size rule")
    }

    @Test(arguments: ["capture", "train", "features", "hidden", "stream"])
    func layersHelpSaysHiddenStateIndices(command: String) throws {
        let help = try CLIRunner.run([command, "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("--layers <indices>") && help.contains("hidden-state indices"), "\(command) --help")
    }

    @Test(arguments: [["synth"], ["bench", "format"], ["bench", "probes"]])
    func layerCountsAreNotSpelledLayers(command: [String]) throws {
        let help = try CLIRunner.run(command + ["--help"]).stdout
        #expect(help.contains("--layer-count"), "\(command) --help: \(help)")
        #expect(!help.contains("--layers "), "\(command) --help still shows --layers")
    }

    /// A dataset that captured hidden states 0, 2 and 4: index 4 is position 2, index 1 does not exist.
    @Test func streamReadsLayersAsIndicesAndLayerPositionsAsPositions() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/subset.strata"
            let layers = LayerInfo.huggingFaceHiddenStates(blocks: 4)
            let metadata = StrataMetadata(hidden: 8, layers: [layers[0], layers[2], layers[4]], dtype: .f32)
            let writer = try ShardWriter(path: path, metadata: metadata, options: WriterOptions())
            let tokenCounts = [3, 5, 2, 7]
            for (i, tokens) in tokenCounts.enumerated() {
                let values = [Float](repeating: Float(i), count: 3 * tokens * 8)
                try values.withUnsafeBufferPointer {
                    try writer.append(RecordInput(id: "r\(i)", labels: [0], tokenIDs: (0..<tokens).map(Int32.init)), values: .f32($0))
                }
            }
            try writer.close()
            let oneLayerBytes = tokenCounts.reduce(0, +) * 8 * MemoryLayout<Float>.size

            func valueBytes(_ flags: [String]) throws -> Int? {
                let result = try CLIRunner.run(["stream", path, "--sequential"] + flags)
                #expect(result.status == 0, "stream \(flags): \(result.stderr)")
                let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
                let summary = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return summary?["value_bytes"] as? Int
            }
            #expect(try valueBytes(["--layers", "4"]) == oneLayerBytes)
            #expect(try valueBytes(["--layer-positions", "2"]) == oneLayerBytes)
            #expect(try valueBytes(["--layers", "2,4"]) == 2 * oneLayerBytes)
            #expect(try valueBytes(["--layer-positions", "0-2"]) == 3 * oneLayerBytes)
            #expect(try valueBytes(["--layers", "last"]) == oneLayerBytes)
            #expect(try valueBytes(["--layer-positions", "1"]) == oneLayerBytes)

            let notCaptured = try CLIRunner.run(["stream", path, "--layers", "1"])
            #expect(
                notCaptured.status != 0 && notCaptured.stderr.contains("--layers") && notCaptured.stderr.contains("[0, 2, 4]"),
                "\(notCaptured.stderr)")
            let outside = try CLIRunner.run(["stream", path, "--layer-positions", "3"])
            #expect(outside.status != 0 && outside.stderr.contains("--layer-positions"), "\(outside.stderr)")
            let both = try CLIRunner.run(["stream", path, "--layers", "0", "--layer-positions", "0"])
            #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
        }
    }

    /// A value that is not a size is refused by the argument parser, naming the flag, before any file is read.
    @Test func badSizesAreRefusedNamingTheFlag() throws {
        let bad = try CLIRunner.run(["stream", "/nonexistent", "--prefetch", "lots"])
        #expect(bad.status != 0 && bad.stderr.contains("--prefetch"), "\(bad.stderr)")
        let unknown = try CLIRunner.run(["shard", "/nonexistent", "--out", "/nonexistent2", "--shard-size", "5XB"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--shard-size"), "\(unknown.stderr)")
    }
}
