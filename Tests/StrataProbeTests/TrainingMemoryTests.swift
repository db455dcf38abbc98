import Foundation
import StrataTestSupport
import Testing

@testable import StrataProbe

/// What training reserves out of `--memory-budget` (`TrainingFootprint`) is what it allocates: a worker's
/// workspace after training and predicting on records of up to T tokens is `Probe.workspaceBytes(tokens: T)`
/// (to within the 4-byte minimum of each unused buffer), for every module kind, and W workers hold W − 1
/// gradient buffers besides the caller's.
@Test func workspaceEstimateMatchesWhatTrainingAllocates() throws {
    let d = 24, layers = [0, 1, 2], T = 19
    let configurations: [ProbeConfiguration] = [
        ProbeConfiguration(kind: .pooling, hidden: d, layers: layers, classes: 2, inputNormalization: .rms),
        ProbeConfiguration(
            kind: .pooling, hidden: d, layers: layers, classes: 3, tokenPool: .max, layerPool: .max, inputNormalization: .none),
        ProbeConfiguration(kind: .gate, hidden: d, layers: layers, classes: 2, inputNormalization: .rms),
        ProbeConfiguration(kind: .gate, hidden: d, layers: layers, classes: 2, gateScale: true, inputNormalization: .none),
        ProbeConfiguration(kind: .mha, hidden: d, layers: layers, classes: 2, heads: 2, downcast: 4, inputNormalization: .rms),
        ProbeConfiguration(kind: .mha, hidden: d, layers: layers, classes: 3, tokenPool: .max, layerPool: .max, heads: 3, downcast: 2),
        ProbeConfiguration(kind: .lastToken, hidden: d, layers: [2], classes: 2, inputNormalization: .rms),
        ProbeConfiguration(kind: .meanLast, hidden: d, layers: [2], classes: 2)
    ]
    for config in configurations {
        let L = config.layers.count
        // Records of 19, 7 and 12 tokens: the batch pads to 19, the longest.
        let lengths = [T, 7, 12]
        var mask = [UInt8](repeating: 0, count: lengths.count * T)
        for (b, n) in lengths.enumerated() { for t in 0..<n { mask[b * T + t] = 1 } }
        let batch = Batch(
            count: lengths.count, layers: L, tokens: T, hidden: d, values: GradCheck.random(lengths.count * L * T * d, seed: 5),
            mask: mask, labels: [0, 1, 1], ids: ["a", "b", "c"])
        let probe = try Probe(configuration: config, seed: 1)
        var gradients = [Float](repeating: 0, count: probe.parameterCount)
        _ = try probe.accumulateGradients(batch: batch, classWeights: nil, gradients: &gradients, workers: 1)
        _ = try probe.predict(batch: batch, workers: 1)
        let estimate = probe.workspaceBytes(tokens: T), actual = probe.workerBufferBytes
        let unusedBufferAllowance = 4 * (16 + 5 * (L + 1))
        #expect(
            actual <= estimate + unusedBufferAllowance && estimate <= actual,
            "\(config.kind): workspace \(actual) B, estimate \(estimate) B")

        _ = try probe.accumulateGradients(batch: batch, classWeights: nil, gradients: &gradients, workers: 2)
        let twoWorkers = probe.workerBufferBytes - actual
        #expect(
            twoWorkers >= probe.parameterCount * 4 + estimate - unusedBufferAllowance
                && twoWorkers <= probe.parameterCount * 4 + estimate + unusedBufferAllowance,
            "\(config.kind): a second worker added \(twoWorkers) B, expected one gradient buffer and one workspace")
        let footprint = TrainingFootprint(probe: probe, workers: 2, longestRecord: T)
        #expect(footprint.workspaceBytes == 2 * estimate && footprint.parameterStateBytes == 6 * 4 * probe.parameterCount)
    }
}

/// The MHA probe's attention workspace grows with the square of the record length, and the estimate says so.
@Test func attentionWorkspaceGrowsQuadratically() throws {
    let probe = try Probe(
        configuration: ProbeConfiguration(kind: .mha, hidden: 576, layers: Array(0..<31), classes: 2, heads: 4, downcast: 32), seed: 0)
    let short = probe.workspaceBytes(tokens: 100), long = probe.workspaceBytes(tokens: 2000)
    #expect(long - short >= 2 * 4 * (2000 * 2000 - 100 * 100))
}

/// A saved state streams its f32 arrays in pieces; the file is the same JSON document a whole-array
/// encoding gives (each array's text equals Foundation's base64 of all its little-endian bytes), and
/// it loads back bit for bit.
@Test func savedStateStreamsItsArraysBitForBit() throws {
    try withTemporaryDirectory("state-stream") { dir in
        let n = 2 * PackedFloats.streamPiece + 7 // three pieces, the last not a multiple of 3 bytes
        var rng = SeededGenerator(seed: 9)
        func values() -> [Float] { (0..<n).map { _ in rng.normal() } }
        let parameters = values(), first = values(), second = values(), best = values()
        let state = TrainingState(
            configuration: ProbeConfiguration(kind: .gate, hidden: 4, layers: [0], classes: 2), options: TrainingOptions(),
            recordsPerEpoch: 10, parameters: PackedFloats(parameters), adamFirst: PackedFloats(first), adamSecond: PackedFloats(second),
            adamStep: 3, step: 3, epoch: 2, stream: nil, epochLossSum: 0.25, epochWeightSum: 1, epochExamples: 4, epochTrainSeconds: 0.5,
            bestEpoch: 1, bestValue: 0.75, sinceBest: 0, bestParameters: PackedFloats(best), bestReport: nil, bestThreshold: nil,
            history: [0.75], epochs: [])
        let path = dir + "/run.state"
        try state.save(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("strata-deferred"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for (key, array) in [("parameters", parameters), ("adamFirst", first), ("adamSecond", second), ("bestParameters", best)] {
            let whole = array.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }.base64EncodedString()
            #expect(json[key] as? String == whole, "\(key)")
        }
        let loaded = try TrainingState.load(from: path)
        #expect(loaded.parameters.values.map(\.bitPattern) == parameters.map(\.bitPattern))
        #expect(loaded.adamFirst.values.map(\.bitPattern) == first.map(\.bitPattern))
        #expect(loaded.adamSecond.values.map(\.bitPattern) == second.map(\.bitPattern))
        #expect(loaded.bestParameters.values.map(\.bitPattern) == best.map(\.bitPattern))
        #expect(loaded.epochLossSum == 0.25 && loaded.history == [0.75] && loaded.step == 3)
    }
}
