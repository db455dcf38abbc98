import StrataModel
import StrataProbe

/// A tiny random Llama model (3 blocks, d = 32, GQA) for the serving tests, built from seeded weights.
enum TinyServingModel {
    static let config = LlamaConfig(
        blockCount: 3, hiddenSize: 32, feedForwardSize: 48, headCount: 4,
        keyValueHeadCount: 2, ropeFrequencyBase: 10_000, rmsNormEpsilon: 1e-5,
        vocabularySize: 67, tiedOutput: false)

    static func make(seed: UInt64 = 11, threads: Int = 2) throws -> LlamaModel {
        let c = config
        var rng = SeededGenerator(seed: seed)
        func random(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in rng.normal() * scale } }
        func gain(_ count: Int) -> [Float] { (0..<count).map { _ in 1 + 0.1 * rng.normal() } }
        let d = c.hiddenSize, ff = c.feedForwardSize, q = c.queryWidth, kv = c.keyValueWidth
        let blocks = try (0..<c.blockCount).map { index in
            try LlamaBlockWeights(
                config: c, attentionNorm: gain(d), query: random(q * d, 0.3), key: random(kv * d, 0.3),
                value: random(kv * d, 0.3), attentionOutput: random(d * q, 0.2), feedForwardNorm: gain(d),
                gate: random(ff * d, 0.2), up: random(ff * d, 0.2), down: random(d * ff, 0.2), block: index)
        }
        let weights = try LlamaWeights(
            config: c, tokenEmbedding: random(c.vocabularySize * d, 1), blocks: blocks,
            outputNorm: gain(d), output: random(c.vocabularySize * d, 0.5))
        return try LlamaModel(config: c, weights: weights, threads: threads)
    }

    /// A probe checkpoint on this model's states with seeded random parameters. `datasetLayers` are the
    /// hidden-state indices its (imagined) training dataset captured; the probe reads `positions` of them.
    static func checkpoint(
        kind: ProbeKind, datasetLayers: [Int]?, positions: [Int], seed: UInt64,
        headBias: Float? = nil, threshold: Float? = nil
    ) throws -> ProbeCheckpoint {
        let configuration = ProbeConfiguration(
            kind: kind, hidden: config.hiddenSize, layers: positions, classes: 2,
            heads: 2, downcast: 4)
        let probe = try Probe(configuration: configuration, seed: seed)
        if let headBias, let entry = probe.layout.entries.first(where: { $0.name == "head.bias" }) {
            // Zero head weights and a large bias force the decision whatever the states are.
            if let weight = probe.layout.entries.first(where: { $0.name == "head.weight" }) {
                for j in 0..<weight.count { probe.parameters[weight.offset + j] = 0 }
            }
            probe.parameters[entry.offset] = headBias
        }
        let provenance = datasetLayers.map { layers in
            TrainingProvenance(
                dataset: "tiny", validation: nil, model: nil, modelSHA256: nil,
                layerIndices: positions.map { layers[$0] }, trainRecords: 0, validationRecords: 0,
                options: TrainingOptions(), epochsRun: 0, bestEpoch: 0, steps: 0, validationMetrics: nil,
                created: "", toolVersion: "test")
        }
        return ProbeCheckpoint(probe: probe, threshold: threshold, labelNames: ["benign", "harmful"], provenance: provenance)
    }
}
