import Testing

@testable import StrataProbe

/// `LiveProbe` (layer-by-layer, one example) against `Probe.predict(batch:)` on the same f32 values.
struct LiveProbeTests {
    /// One example's hidden states: `layers × tokens × hidden`, seeded normal values.
    static func example(layers: Int, tokens: Int, hidden: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(layers * tokens * hidden)).map { _ in rng.normal() }
    }

    /// Feeds `values` to a live probe layer by layer in `order` and compares with `predict`.
    func check(
        _ configuration: ProbeConfiguration, datasetLayers: Int, tokens: Int, seed: UInt64,
        reversed: Bool = false
    ) throws {
        let probe = try Probe(configuration: configuration, seed: seed)
        let d = configuration.hidden
        let all = Self.example(layers: datasetLayers, tokens: tokens, hidden: d, seed: seed + 100)
        // The batch holds only the probe's layers, in slot order (what RecordBatchSource gives predict).
        var selected: [Float] = []
        for position in configuration.layers {
            selected += all[(position * tokens * d)..<((position + 1) * tokens * d)]
        }
        let batch = Batch(
            count: 1, layers: configuration.layers.count, tokens: tokens, hidden: d, values: selected,
            mask: [UInt8](repeating: 1, count: tokens), labels: [-1], ids: ["x"])
        let expected = try probe.predict(batch: batch)

        let live = LiveProbe(probe: probe)
        // Twice: a second example on the same instance must not see the first one's state.
        for _ in 0..<2 {
            try live.beginExample(tokens: tokens)
            let order = reversed ? Array((0..<datasetLayers).reversed()) : Array(0..<datasetLayers)
            for position in order {
                try all.withUnsafeBufferPointer { buffer in
                    try live.consumeLayer(
                        position: position,
                        rows: UnsafeBufferPointer(
                            rebasing: buffer[(position * tokens * d)..<((position + 1) * tokens * d)]))
                }
            }
            let output = try live.finish()
            #expect(output.probabilities.count == configuration.classes)
            for (a, b) in zip(output.probabilities, expected.probabilities) {
                #expect(abs(a - b) <= 1e-5, "\(configuration.kind): live \(a) vs predict \(b)")
            }
            if let weights = expected.layerWeights {
                let liveWeights = try #require(output.layerWeights)
                for (a, b) in zip(liveWeights, weights) { #expect(abs(a - b) <= 1e-6) }
            }
        }
    }

    @Test func poolingMatchesPredict() throws {
        try check(
            ProbeConfiguration(
                kind: .pooling, hidden: 24, layers: [0, 1, 2, 3], classes: 2,
                tokenPool: .max, layerPool: .mean), datasetLayers: 4, tokens: 7, seed: 1)
    }

    @Test func gateMatchesPredictWithLayerSubsetOutOfOrder() throws {
        try check(
            ProbeConfiguration(kind: .gate, hidden: 24, layers: [3, 0, 2], classes: 2, gateScale: true),
            datasetLayers: 5, tokens: 9, seed: 2, reversed: true)
    }

    @Test func mhaMatchesPredictMultiClass() throws {
        try check(
            ProbeConfiguration(
                kind: .mha, hidden: 32, layers: [0, 1, 2], classes: 3, tokenPool: .max,
                layerPool: .mean, heads: 2, downcast: 4), datasetLayers: 3, tokens: 11, seed: 3)
    }

    @Test func baselinesMatchPredict() throws {
        try check(
            ProbeConfiguration(kind: .lastToken, hidden: 16, layers: [2], classes: 2),
            datasetLayers: 3, tokens: 5, seed: 4)
        try check(
            ProbeConfiguration(kind: .meanLast, hidden: 16, layers: [1], classes: 2),
            datasetLayers: 3, tokens: 5, seed: 5)
    }

    @Test func logitBaselineReadsFeatures() throws {
        let configuration = ProbeConfiguration(
            kind: .logits, hidden: 16, layers: [], classes: 2,
            featureName: "next_token_logprobs", featureWidth: 10)
        let probe = try Probe(configuration: configuration, seed: 6)
        var rng = SeededGenerator(seed: 7)
        let features = (0..<10).map { _ in rng.normal() }
        let batch = Batch(
            count: 1, layers: 0, tokens: 0, hidden: 16, values: [], mask: [], labels: [-1], ids: ["x"],
            featureWidth: 10, features: features)
        let expected = try probe.predict(batch: batch)
        let live = LiveProbe(probe: probe)
        try live.beginExample(tokens: 3)
        try features.withUnsafeBufferPointer { try live.consumeFeatures($0) }
        let output = try live.finish()
        #expect(abs(output.probabilities[1] - expected.probabilities[1]) <= 1e-6)
    }

    @Test func missingLayerOrWrongShapeIsAnError() throws {
        let probe = try Probe(configuration: ProbeConfiguration(kind: .gate, hidden: 8, layers: [0, 1], classes: 2), seed: 1)
        let live = LiveProbe(probe: probe)
        try live.beginExample(tokens: 2)
        let rows = [Float](repeating: 0.5, count: 16)
        try rows.withUnsafeBufferPointer { try live.consumeLayer(position: 0, rows: $0) }
        #expect(throws: ProbeError.self) { try live.finish() } // layer 1 never arrived
        try live.beginExample(tokens: 3)
        #expect(throws: ProbeError.self) { // 2 rows for a 3-token example
            try rows.withUnsafeBufferPointer { try live.consumeLayer(position: 1, rows: $0) }
        }
        #expect(throws: ProbeError.self) { try live.beginExample(tokens: 0) }
    }
}
