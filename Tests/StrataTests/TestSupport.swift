import Foundation
import StrataUtilities

@testable import Strata

/// Random hidden-state-like floats: mostly N(0, scale)-ish, with an occasional huge channel.
func randomValues(_ n: Int, seed: UInt64, hidden: Int = 1) -> [Float] {
    var rng = SplitMix64(state: seed)
    return (0..<n).map { i in
        if hidden > 4 && i % hidden == 3 { return Float.random(in: 2000...26000, using: &rng) }
        return Float.random(in: -4...4, using: &rng) * Float.random(in: 0...1, using: &rng)
    }
}

func testMetadata(layers: Int, hidden: Int, dtype: StrataDType, aux: [AuxiliaryInfo] = []) -> StrataMetadata {
    StrataMetadata(
        hidden: hidden, layers: LayerInfo.huggingFaceHiddenStates(blocks: layers - 1).prefix(layers).map { $0 }, dtype: dtype,
        model: ModelIdentity(name: "test-model", architecture: "llama", nBlocks: layers - 1, hiddenSize: hidden),
        labelNames: ["neg", "pos"], auxiliary: aux, extra: ["task": "unit-test"])
}

/// Writes `records` with random values (input dtype chosen by `input`) and returns the values as the
/// reader must return them (f32 of the stored dtype) computed with Swift's own Float16 for f16.
struct WrittenRecord {
    var input: RecordInput
    var expected: [Float]
}
