import Foundation
import StrataTestSupport
import Testing

@testable import StrataProbe

/// A run resumed from the state saved at an epoch boundary (in-memory source) ends with the
/// uninterrupted run's parameters and epoch records; a state from other options is refused.
@Test func resumeFromAnEpochBoundaryStateEqualsTheUninterruptedRun() throws {
    try withTemporaryDirectoryURL("state") { dir in
        let train = try Synthetic.source(count: 40, seed: 3), validation = try Synthetic.source(count: 20, seed: 4)
        let config = ProbeConfiguration(kind: .gate, hidden: 12, layers: [0, 1, 2], classes: 2)
        var options = TrainingOptions()
        options.epochs = 4; options.batchSize = 8; options.learningRate = 0.01; options.patience = 0; options.workers = 2
        let statePath = dir.appendingPathComponent("run.state").path, copied = dir.appendingPathComponent("epoch3.state").path

        let straight = try Probe(configuration: config, seed: 1)
        let expected = try Trainer(probe: straight, options: options).fit(
            train: train, validation: validation, checkpoints: StateCheckpointPolicy(path: statePath, everySeconds: 0)
        ) { p in
            // At epoch 3's end the file still holds the state saved when epoch 2 ended.
            if p.isEpochEnd && p.epoch == 3 { try? FileManager.default.copyItem(atPath: statePath, toPath: copied) }
        }
        let state = try TrainingState.load(from: copied)
        #expect(state.epoch == 3 && state.stream == nil && state.epochs.count == 2 && state.step == 10)

        let resumed = try Probe(configuration: config, seed: 99) // different init: everything must come from the state
        let result = try Trainer(probe: resumed, options: options).fit(train: train, validation: validation, resume: state)
        #expect(resumed.parameters.map(\.bitPattern) == straight.parameters.map(\.bitPattern))
        #expect(result.epochs.map(\.step) == expected.epochs.map(\.step) && result.epochs.map(\.valLoss) == expected.epochs.map(\.valLoss))
        #expect(result.epochs.map(\.trainLoss) == expected.epochs.map(\.trainLoss) && result.history == expected.history)
        #expect(result.bestEpoch == expected.bestEpoch && result.threshold == expected.threshold)

        var other = options
        other.learningRate = 0.02
        #expect(throws: ProbeError.self) {
            _ = try Trainer(probe: try Probe(configuration: config, seed: 1), options: other).fit(
                train: train, validation: validation, resume: state)
        }
    }
}

/// Packed f32 arrays round-trip bit for bit (signed zeros, subnormals, infinities, NaN payloads)
/// and are little-endian on disk.
@Test func packedFloatsRoundTripBitForBit() {
    let values: [Float] = [
        0, -0.0, 1, -2.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity,
        Float(bitPattern: 0x7FC0_1234), 1e-30
    ]
    let data = PackedFloats.pack(values)
    #expect(Array(data.prefix(12)) == [0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0x80, 0x3F])
    #expect(PackedFloats.unpack(data, count: values.count)?.map(\.bitPattern) == values.map(\.bitPattern))
    #expect(PackedFloats.unpack(data, count: values.count + 1) == nil)
}
