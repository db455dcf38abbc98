import Strata
import Testing

@testable import StrataProbe

@Test func layerWeightSummaryAveragesPerClassAndCorrectness() throws {
    // 3 examples, 2 layers; P(class 1) = 0.9, 0.2, 0.7; labels 1, 1, 0 → correct, wrong, wrong at 0.5
    let out = EvaluationOutput(
        ids: ["a", "b", "c"], labels: [1, 1, 0], probabilities: [0.1, 0.9, 0.8, 0.2, 0.3, 0.7], classes: 2,
        layerWeights: [0.2, 0.8, 0.6, 0.4, 0.5, 0.5], layers: 2)
    let s = try LayerWeightSummary(output: out, threshold: 0.5, layerIndices: [10, 30], labelNames: ["neg", "pos"])
    let byName = Dictionary(uniqueKeysWithValues: s.groups.map { ($0.name, $0) })
    #expect(byName["all"]!.count == 3)
    #expect(abs(byName["true: pos"]!.meanWeights[0] - 0.4) < 1e-6 && abs(byName["true: pos"]!.meanWeights[1] - 0.6) < 1e-6)
    #expect(byName["true: neg"]!.meanWeights.map { ($0 * 10).rounded() / 10 } == [0.5, 0.5])
    #expect(byName["correct"]!.count == 1 && abs(byName["correct"]!.meanWeights[1] - 0.8) < 1e-6)
    #expect(byName["incorrect"]!.count == 2 && abs(byName["incorrect"]!.meanWeights[0] - 0.55) < 1e-6)
    let svg = s.svg(title: "t <&>")
    #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
    #expect(svg.contains("t &lt;&amp;&gt;"))
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 5)
    // non-gate output: a clear error
    var plain = out
    plain.layerWeights = nil
    #expect(throws: ProbeError.self) { try LayerWeightSummary(output: plain, threshold: 0.5, layerIndices: [10, 30], labelNames: nil) }
}

@Test func datasetCompatibilityChecksLayersAndWidth() throws {
    let meta = StrataMetadata(hidden: 8, layers: LayerInfo.huggingFaceHiddenStates(blocks: 4), dtype: .f16)
    let config = ProbeConfiguration(kind: .gate, hidden: 8, layers: [1, 4], classes: 2)
    let probe = try Probe(configuration: config, seed: 1)
    func header(_ indices: [Int]) -> ProbeCheckpoint.Header {
        let prov = TrainingProvenance(
            dataset: "d", validation: nil, model: nil, modelSHA256: nil, layerIndices: indices, trainRecords: 1,
            validationRecords: 0, options: TrainingOptions(), epochsRun: 1, bestEpoch: 1, steps: 1,
            validationMetrics: nil, created: "", toolVersion: "")
        return ProbeCheckpoint(probe: probe, threshold: 0.5, labelNames: nil, provenance: prov).header
    }
    try ProbeSetup.checkCompatible(header([1, 4]), metadata: meta, datasetPath: "d")
    #expect(throws: ProbeError.self) { try ProbeSetup.checkCompatible(header([1, 3]), metadata: meta, datasetPath: "d") }
    var narrow = meta
    narrow.hidden = 16
    #expect(throws: ProbeError.self) { try ProbeSetup.checkCompatible(header([1, 4]), metadata: narrow, datasetPath: "d") }
    // --layers parsing: model indices → positions; one-layer baselines take exactly one
    #expect(try ProbeSetup.layerPositions("0,4", kind: .gate, metadata: meta) == [0, 4])
    #expect(try ProbeSetup.layerPositions(nil, kind: .meanLast, metadata: meta) == [4])
    #expect(throws: ProbeError.self) { try ProbeSetup.layerPositions("0,4", kind: .lastToken, metadata: meta) }
    #expect(throws: ProbeError.self) { try ProbeSetup.layerPositions("7", kind: .gate, metadata: meta) }
}
