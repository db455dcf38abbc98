import Testing

@testable import Strata

/// The step-sliced partition of data-parallel training, checked exhaustively on small epochs
/// against the single-process epoch order.
@Suite struct StepSlicesTests {
    @Test func ranksTogetherHoldEachSingleProcessStep() throws {
        for count in 0...23 {
            for batch in 1...9 {
                for world in 1...4 {
                    for shuffle in [true, false] {
                        let whole = try EpochPlan(recordCount: count, seed: 11, epoch: 2, shuffle: shuffle).globalIndices
                        let steps = (count + batch - 1) / batch
                        var perRank: [[Int]] = []
                        for rank in 0..<world {
                            let partition = try RankPartition(rank: rank, world: world)
                            let plan = try EpochPlan(
                                recordCount: count, seed: 11, epoch: 2, shuffle: shuffle, partition: partition, stepBatch: batch)
                            let slices = try StepSlices(partition: partition, globalBatch: batch)
                            #expect(slices.stepCount(of: count) == steps)
                            #expect(plan.count == slices.count(of: count))
                            perRank.append(plan.globalIndices)
                        }
                        // Step k of the single process = rank 0's slice of step k, then rank 1's, ...
                        var taken = [Int](repeating: 0, count: world)
                        var rebuilt: [Int] = []
                        for step in 0..<steps {
                            var sizes: [Int] = []
                            for rank in 0..<world {
                                let slices = try StepSlices(partition: RankPartition(rank: rank, world: world), globalBatch: batch)
                                let n = slices.recordCount(step: step, of: count)
                                #expect(slices.localPosition(afterSteps: step, of: count) == taken[rank])
                                rebuilt += perRank[rank][taken[rank]..<taken[rank] + n]
                                taken[rank] += n
                                sizes.append(n)
                            }
                            #expect(sizes.reduce(0, +) == min(batch, count - step * batch))
                            #expect(sizes.max()! - sizes.min()! <= 1 && sizes[0] == sizes.max()!)
                        }
                        #expect(rebuilt == whole)
                        #expect(taken == perRank.map(\.count))
                    }
                }
            }
        }
    }

    @Test func stepSlicedStatesResumeAndRefuseAnotherBatch() throws {
        let shards = [ShardSummary(name: "a", records: 30, bytes: 1, checksum: "")]
        let partition = try RankPartition(rank: 1, world: 2)
        var cursor = try StreamCursor(shards: shards, seed: 3, epoch: 1, partition: partition, stepBatch: 8)
        for _ in 0..<4 { _ = cursor.next() }
        let state = cursor.state
        #expect(state.stepBatch == 8)
        let decoded = try StreamState.decode(state.jsonData(), source: "test")
        var resumed = try StreamCursor(resuming: decoded, shards: shards)
        var rest: [Int] = []
        while let i = resumed.next() { rest.append(i) }
        #expect(Array(cursor.plan.globalIndices[4...]) == rest)
        #expect(throws: StreamError.self) {
            try StreamCursor.check(decoded, seed: 3, epoch: 1, rank: 1, world: 2, shuffle: true, stepBatch: .some(16))
        }
        #expect(throws: StreamError.self) {
            try StreamCursor.check(decoded, seed: 3, epoch: 1, rank: 1, world: 2, shuffle: true, stepBatch: .some(nil))
        }
    }
}
