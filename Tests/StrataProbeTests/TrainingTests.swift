import Foundation
import StrataTestSupport
import Testing

@testable import StrataProbe

private func options(epochs: Int = 6, lr: Float = 1e-2, seed: UInt64 = 7) -> TrainingOptions {
    var o = TrainingOptions()
    o.epochs = epochs; o.batchSize = 16; o.learningRate = lr; o.weightDecay = 0.01; o.seed = seed
    o.patience = 0; o.metric = .accuracy
    return o
}

private func config(_ kind: ProbeKind, classes: Int = 2, layers: Int = 3) -> ProbeConfiguration {
    ProbeConfiguration(
        kind: kind, hidden: 12, layers: Array(0..<(kind.readsOneLayer ? 1 : layers)), classes: classes,
        tokenPool: .mean, layerPool: .mean, heads: 2, downcast: 3,
        featureName: kind == .logits ? "next_token_logprobs" : nil, featureWidth: kind == .logits ? 8 : nil)
}

@Test("each probe kind learns a planted signal", arguments: [ProbeKind.pooling, .gate, .mha, .lastToken, .meanLast, .logits])
func probesLearn(_ kind: ProbeKind) throws {
    let readsOne = kind.readsOneLayer
    let fw = kind == .logits ? 8 : 0
    // one-layer probes get the signal in their only layer, on every token (last-token must see it)
    let train = try Synthetic.source(
        count: 160, layers: readsOne ? 1 : 3, signalLayer: readsOne ? 0 : 1,
        strength: readsOne || fw > 0 ? 3 : 1.5, seed: 1, featureWidth: fw, lastTokenSignal: readsOne)
    let val = try Synthetic.source(
        count: 80, layers: readsOne ? 1 : 3, signalLayer: readsOne ? 0 : 1,
        strength: readsOne || fw > 0 ? 3 : 1.5, seed: 2, featureWidth: fw, lastTokenSignal: readsOne)
    let probe = try Probe(configuration: config(kind), seed: 3)
    let before = Metrics.report(
        probabilities: try Trainer.evaluate(probe: probe, source: val).probabilities,
        labels: val.labels, classes: 2
    ).accuracy
    let result = try Trainer(probe: probe, options: options(epochs: 8)).fit(train: train, validation: val)
    let acc = result.validation!.accuracy
    #expect(acc > max(0.75, before + 0.1), "\(kind): accuracy \(before) -> \(acc)")
}

@Test func threeClassGateLearns() throws {
    let train = try Synthetic.source(count: 180, classes: 3, seed: 4), val = try Synthetic.source(count: 90, classes: 3, seed: 5)
    let probe = try Probe(configuration: config(.gate, classes: 3), seed: 1)
    let result = try Trainer(probe: probe, options: options(epochs: 8)).fit(train: train, validation: val)
    #expect(result.validation!.accuracy > 0.7)
    #expect(result.threshold == nil)
}

@Test func sameSeedGivesBitIdenticalRuns() throws {
    let train = try Synthetic.source(count: 64, seed: 9)
    func run(_ seed: UInt64) throws -> [Float] {
        let probe = try Probe(configuration: config(.mha), seed: seed)
        _ = try Trainer(probe: probe, options: options(epochs: 2, seed: seed)).fit(train: train, validation: nil)
        return probe.parameters
    }
    let a = try run(5), b = try run(5), c = try run(6)
    #expect(a == b)
    #expect(a != c)
}

@Test func earlyStoppingKeepsTheBestEpoch() throws {
    let train = try Synthetic.source(count: 64, seed: 10), val = try Synthetic.source(count: 40, seed: 11)
    var o = options(epochs: 12, lr: 5e-2)
    o.patience = 2
    let probe = try Probe(configuration: config(.gate), seed: 2)
    let result = try Trainer(probe: probe, options: o).fit(train: train, validation: val)
    #expect(result.history.count == result.epochsRun)
    #expect(result.history[result.bestEpoch - 1] == result.history.max())
    if result.epochsRun < 12 { #expect(result.epochsRun - result.bestEpoch == 2) }
    // the probe holds the best epoch's parameters: re-evaluating reproduces the best metric
    let out = try Trainer.evaluate(probe: probe, source: val)
    let r = Metrics.report(probabilities: out.probabilities, labels: out.labels, classes: 2, threshold: result.threshold)
    #expect(abs(r.accuracy - result.history.max()!) < 1e-12)
}

@Test func balancedClassWeights() {
    let w = Trainer.balancedWeights(labels: [0, 0, 0, 1, -1], classes: 2)
    #expect(abs(w[0] - 4.0 / 6) < 1e-6 && abs(w[1] - 2) < 1e-6)
}

@Test func gateExposesLayerWeightsThatSumToOne() throws {
    let val = try Synthetic.source(count: 10, seed: 3)
    let probe = try Probe(configuration: config(.gate), seed: 1)
    let out = try Trainer.evaluate(probe: probe, source: val)
    let w = try #require(out.layerWeights)
    #expect(w.count == 10 * 3)
    for i in 0..<10 { #expect(abs(w[(i * 3)..<(i * 3 + 3)].reduce(0, +) - 1) < 1e-5) }
}

@Test func checkpointRoundTripIsBitIdentical() throws {
    try withTemporaryDirectoryURL { dir in
        let train = try Synthetic.source(count: 48, seed: 12), val = try Synthetic.source(count: 30, seed: 13)
        for kind in [ProbeKind.pooling, .gate, .mha] {
            var cfg = config(kind)
            cfg.gateScale = kind == .gate
            let probe = try Probe(configuration: cfg, seed: 4)
            let result = try Trainer(probe: probe, options: options(epochs: 2)).fit(train: train, validation: val)
            let prov = TrainingProvenance(
                dataset: "synthetic", validation: "synthetic-val", model: "none", modelSHA256: nil, layerIndices: [0, 15, 30],
                trainRecords: 48, validationRecords: 30, options: options(epochs: 2), epochsRun: result.epochsRun,
                bestEpoch: result.bestEpoch, steps: result.steps, validationMetrics: result.validation,
                created: "2026-01-01T00:00:00Z", toolVersion: "test")
            let path = dir.appendingPathComponent("\(kind.rawValue).probe").path
            try ProbeCheckpoint(probe: probe, threshold: result.threshold, labelNames: ["neg", "pos"], provenance: prov).write(to: path)
            let loaded = try ProbeCheckpoint.read(from: path)
            #expect(loaded.header.provenance == prov)
            #expect(loaded.header.threshold == result.threshold)
            let again = try loaded.makeProbe()
            #expect(again.parameters.map(\.bitPattern) == probe.parameters.map(\.bitPattern))
            let a = try Trainer.evaluate(probe: probe, source: val), b = try Trainer.evaluate(probe: again, source: val)
            #expect(a.probabilities.map(\.bitPattern) == b.probabilities.map(\.bitPattern))
            #expect(a.layerWeights == b.layerWeights)

            // Corruption anywhere is reported, never loaded.
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] ^= 0x40
            #expect(throws: ProbeError.self) { try ProbeCheckpoint.decode(bytes, path: path) }
            #expect(throws: ProbeError.self) { try ProbeCheckpoint.decode(Array(bytes.prefix(40)), path: path) }
        }
    }
}

@Test func parameterCountsMatchThePaper() throws {
    // SmolLM2-135M: L = 30 blocks → 31 hidden-state layers, d = 576.
    let gate = try Probe(configuration: ProbeConfiguration(kind: .gate, hidden: 576, layers: Array(0..<31), classes: 2), parameters: nil)
    #expect(gate.parameterCount == 32 * 576 + 577) // (L+2)·d + head
    let mha = try Probe(
        configuration: ProbeConfiguration(kind: .mha, hidden: 576, layers: Array(0..<31), classes: 2, heads: 2, downcast: 32),
        parameters: nil)
    #expect(mha.parameterCount == 32 * 4 * 576 * 18 + 577) // 4·(L+2)·d²/f + head ≈ 1.33M
    let pool = try Probe(configuration: ProbeConfiguration(kind: .pooling, hidden: 576, layers: Array(0..<31), classes: 2), parameters: nil)
    #expect(pool.parameterCount == 577)
}

@Test func fixedThresholdOverridesValidationChoice() throws {
    let train = try Synthetic.source(count: 48, seed: 20), val = try Synthetic.source(count: 30, seed: 21)
    var o = options(epochs: 2)
    o.fixedThreshold = 0.5
    let r = try Trainer(probe: try Probe(configuration: config(.pooling), seed: 1), options: o).fit(train: train, validation: val)
    #expect(r.threshold == 0.5)
    #expect(r.validation?.threshold == 0.5)
}

@Test func emptyRecordsAndEmptyBatchesDoNotCrash() throws {
    let records: [InMemoryRecords.Record] = [
        .init(id: "empty", label: 1, tokens: 0, values: []),
        .init(id: "one", label: 0, tokens: 1, values: [Float](repeating: 0.5, count: 3 * 12))
    ]
    let source = try RecordBatchSource(inMemory: InMemoryRecords(records: records, layers: 3, hidden: 12))
    for kind in [ProbeKind.pooling, .gate, .mha] {
        let probe = try Probe(configuration: config(kind), seed: 1)
        let out = try Trainer.evaluate(probe: probe, source: source)
        #expect(out.probabilities.allSatisfy { $0.isFinite })
        _ = try Trainer(probe: probe, options: options(epochs: 1)).fit(train: source, validation: nil)
        #expect(probe.parameters.allSatisfy { $0.isFinite })
    }
    let onlyEmpty = try RecordBatchSource(inMemory: InMemoryRecords(records: [records[0]], layers: 3, hidden: 12))
    let probe = try Probe(configuration: config(.mha), seed: 1)
    #expect(try Trainer.evaluate(probe: probe, source: onlyEmpty).probabilities.count == 2)
}
