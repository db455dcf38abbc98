import Foundation
import Strata
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataCapture

/// End-to-end capture on a tiny synthetic model: stored values against `LlamaModel` run directly,
/// record fields, dtypes, layer subsets and logits.
struct CaptureJobTests {
    @Test func f32ValuesEqualTheModelsHiddenStatesExactly() throws {
        try withTemporaryDirectory { dir in
            var options = try CaptureFixture.standardOptions(in: dir, out: dir + "/out")
            let modelPath = options.modelPath
            options.dtype = .f32
            options.batchTokens = 1 // every text alone: the same computation as hiddenStates(tokens:)
            let report = try CaptureJob(options: options).run()
            #expect(report.recordsWritten == CaptureFixture.texts.count)
            #expect(report.skipped.isEmpty)

            let model = try LlamaModel(path: modelPath, threads: 1)
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: modelPath))
            let records = try CaptureFixture.records(dir + "/out")
            #expect(records.count == CaptureFixture.texts.count)
            for (i, (info, values)) in records.enumerated() {
                let text = CaptureFixture.texts[i]
                #expect(info.id == "t\(i)")
                #expect(info.labels == [i % 2])
                #expect(info.text == text)
                #expect(info.tokenIDs == tokenizer.encode(text))
                #expect(info.metadata["row"] == String(i + 1))
                #expect(values == (try model.hiddenStates(tokens: info.tokenIDs)), "record \(i)")
            }
            let dataset = try StrataDataset(path: dir + "/out")
            #expect(dataset.metadata.layers == LayerInfo.huggingFaceHiddenStates(blocks: 2))
            #expect(dataset.metadata.model?.fileSHA256 == (try ModelFileHash.compute(modelPath)))
            #expect(dataset.metadata.model?.nBlocks == 2)
            #expect(dataset.metadata.tokenizer?.vocabSize == tokenizer.vocabularySize)
            #expect(dataset.metadata.tokenizer.map { "sha256:" + ($0.sha256 ?? "") } == tokenizer.identity)
            _ = try StrataVerifier.verify(path: dir + "/out")
        }
    }

    @Test func packedBF16LayerSubsetWithinRounding() throws {
        try withTemporaryDirectory { dir in
            var options = try CaptureFixture.standardOptions(in: dir, out: dir + "/out")
            let modelPath = options.modelPath
            options.dtype = .bf16
            options.layers = try LayerSelection(parsing: "last,0")
            options.batchTokens = 40 // several texts per forward batch
            try CaptureJob(options: options).run()

            let model = try LlamaModel(path: modelPath, threads: 1)
            let dataset = try StrataDataset(path: dir + "/out")
            #expect(dataset.metadata.dtype == .bf16)
            #expect(dataset.metadata.layers == [LayerInfo(index: 0, kind: "embedding"), LayerInfo(index: 2, kind: "final_norm")])
            #expect(dataset.count == CaptureFixture.texts.count)
            for i in 0..<dataset.count {
                let info = try dataset.info(i)
                let t = info.tokenIDs.count, d = 16
                let all = try model.hiddenStates(tokens: info.tokenIDs)
                let expected = Array(all[0..<(t * d)]) + Array(all[(2 * t * d)..<(3 * t * d)])
                let stored = try dataset.readFloat(i)
                #expect(stored.count == expected.count)
                // bf16 keeps 8 significant bits: relative error ≤ 2^-8, plus packing's float rounding.
                let worst = zip(stored, expected).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
                #expect(worst <= 1.0 / 128, "record \(i): worst relative error \(worst)")
            }
        }
    }

    @Test func saveLogitsStoresLastPositionLogProbabilities() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try CaptureFixture.model(in: dir)
            var options = CaptureFixture.options(
                model: modelPath, input: try CaptureFixture.jsonl(in: dir, texts: Array(CaptureFixture.texts.prefix(4))), out: dir + "/out")
            options.saveLogits = true
            options.layers = .indices([1])
            try CaptureJob(options: options).run()
            let model = try LlamaModel(path: modelPath, threads: 1)
            let dataset = try StrataDataset(path: dir + "/out")
            #expect(dataset.metadata.auxiliary == [AuxiliaryInfo(name: "next_token_logprobs", length: model.config.vocabularySize)])
            for i in 0..<dataset.count {
                let tokens = try dataset.info(i).tokenIDs
                let reference = try model.forward(batch: [tokens], request: .logProbsOnly, sink: nil).lastLogProbs[0]
                let stored = try dataset.auxiliary(i, name: "next_token_logprobs")
                #expect(stored.count == reference.count)
                let worst = zip(stored, reference).map { abs($0 - $1) }.max() ?? 1
                #expect(worst < 1e-4)
                // A distribution: exp(log p) sums to 1.
                #expect(abs(stored.reduce(0) { $0 + Double(exp($1)) } - 1) < 1e-3)
            }
        }
    }

    @Test func writingInlineOrOverlappedGivesIdenticalFiles() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try CaptureFixture.model(in: dir)
            let input = try CaptureFixture.jsonl(in: dir)
            var bytes: [Data] = []
            for overlap in [true, false] {
                var options = CaptureFixture.options(model: modelPath, input: input, out: dir + "/out-\(overlap)")
                options.overlapWriting = overlap
                options.batchTokens = 30
                try CaptureJob(options: options).run()
                bytes.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/out-\(overlap)/capture.part-00000.strata")))
            }
            #expect(bytes[0] == bytes[1])
        }
    }

    @Test func dryRunWritesNothing() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try CaptureFixture.model(in: dir)
            for mode in CaptureOptions.DryRun.allCases {
                var options = CaptureFixture.options(model: modelPath, input: try CaptureFixture.jsonl(in: dir), out: dir + "/out")
                options.dryRun = mode
                let report = try CaptureJob(options: options).run()
                #expect(report.recordsWritten == CaptureFixture.texts.count)
                #expect(report.dryRun == mode.rawValue)
                #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
            }
        }
    }

    @Test func partsRollAndManifestListsThemInOrder() throws {
        try withTemporaryDirectory { dir in
            var options = try CaptureFixture.standardOptions(in: dir, out: dir + "/out")
            options.partBytes = 4000
            options.batchTokens = 1
            try CaptureJob(options: options).run()
            let manifest = try DatasetManifest.read(path: dir + "/out/manifest.json")
            #expect(manifest.shards.count > 2)
            #expect(manifest.shards.map(\.path) == (0..<manifest.shards.count).map { String(format: "capture.part-%05d.strata", $0) })
            #expect(try CaptureFixture.records(dir + "/out").map(\.info.id) == (0..<CaptureFixture.texts.count).map { "t\($0)" })
            _ = try StrataVerifier.verify(path: dir + "/out")
        }
    }
}
