import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataProbe

/// Record id → (label, padded-free values) as a pass delivers them, unpadded again by the mask.
private func recordsSeen(_ stream: BatchStream) throws -> (order: [String], values: [String: [Float]], labels: [String: Int]) {
    var order: [String] = [], values: [String: [Float]] = [:], labels: [String: Int] = [:]
    while let b = try stream.next() {
        try b.validate()
        for slot in 0..<b.count {
            let n = (0..<b.tokens).filter { b.mask[slot * b.tokens + $0] == 1 }.count
            #expect((0..<b.tokens).allSatisfy { b.mask[slot * b.tokens + $0] == ($0 < n ? 1 : 0) })
            var v: [Float] = []
            for l in 0..<b.layers {
                let row = ((slot * b.layers + l) * b.tokens) * b.hidden
                v += b.values[row..<row + n * b.hidden]
                // Padding rows are zero.
                #expect(b.values[row + n * b.hidden..<row + b.tokens * b.hidden].allSatisfy { $0 == 0 })
            }
            order.append(b.ids[slot])
            values[b.ids[slot]] = v
            labels[b.ids[slot]] = b.labels[slot]
        }
    }
    return (order, values, labels)
}

/// Eval and training read the same values through the one path (`RecordBatchSource`): an
/// evaluation pass (`Trainer.evaluate`'s stream), an unshuffled training pass and a shuffled
/// training epoch deliver, for every record, exactly the values `ShardReader` decodes for it
/// (the independent reference), with its label; the shuffled epoch's order is the `EpochPlan`
/// that `strata stream --ids` prints over the same selection (orders are part of resume).
/// A small budget makes chunks split minibatches, so records are decoded both straight into the
/// padded batch (the chunk's longest) and through the scratch buffer (shorter ones).
@Test func evalAndTrainingReadTheSameValuesAsTheShardReader() throws {
    try withTemporaryDirectoryURL("onereader") { dir in
        let path = dir.appendingPathComponent("d.strata").path
        try writeSyntheticShard(at: path, count: 37, hidden: 32, maxTokens: 30)
        let dataset = try StrataDataset(path: path)
        let records = (0..<37).filter { $0 % 4 != 1 }.reversed().map { $0 } // a split, out of dataset order
        let budget = MemoryBudget(bytes: 5 * 3 * 30 * (2 * 32 * 4 + 1)) // chunks of about 3 long records
        let source = try RecordBatchSource(dataset: dataset, records: records, layers: [2, 0], budget: budget)

        var reference: [String: [Float]] = [:], referenceLabels: [String: Int] = [:]
        for g in records {
            let info = try dataset.info(g)
            reference[info.id] = try dataset.readFloat(g, layers: [2, 0])
            referenceLabels[info.id] = info.labels[0]
        }

        let eval = try recordsSeen(source.makeStream(epoch: 0, shuffle: false, seed: 0, batchSize: 64))
        let unshuffled = try recordsSeen(source.makeResumableStream(epoch: 0, shuffle: false, seed: 0, batchSize: 5, resume: nil))
        let epoch = try recordsSeen(source.makeResumableStream(epoch: 2, shuffle: true, seed: 11, batchSize: 5, resume: nil))
        let selectionOrder = records.map { "rec-\($0)" }
        #expect(eval.order == selectionOrder && unshuffled.order == selectionOrder)
        for pass in [eval, unshuffled, epoch] {
            #expect(pass.values == reference)
            #expect(pass.labels == referenceLabels)
        }
        let plan = try EpochPlan(recordCount: records.count, seed: 11, epoch: 2)
        #expect(epoch.order == plan.globalIndices.map { "rec-\(records[$0])" })
        #expect(epoch.order != selectionOrder)
    }
}
