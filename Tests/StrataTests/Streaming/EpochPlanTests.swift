import Testing

@testable import Strata

/// Exhaustive checks of the epoch order and its partition over small datasets.
@Suite struct EpochPlanTests {
    static let seeds: [UInt64] = [0, 1, 12345, UInt64.max]

    @Test func everyRecordExactlyOncePerEpochForAllSmallCases() throws {
        for count in 0...20 {
            for world in 1...4 {
                for seed in Self.seeds {
                    for epoch in 0..<3 {
                        for shuffle in [true, false] {
                            let whole = try EpochPlan(recordCount: count, seed: seed, epoch: epoch, shuffle: shuffle)
                            var concatenated: [Int] = []
                            var sizes: [Int] = []
                            for rank in 0..<world {
                                let plan = try EpochPlan(
                                    recordCount: count, seed: seed, epoch: epoch, shuffle: shuffle,
                                    partition: RankPartition(rank: rank, world: world))
                                concatenated += plan.globalIndices
                                sizes.append(plan.count)
                            }
                            // The ranks tile the single-worker order: each record once, none lost.
                            #expect(concatenated == whole.globalIndices)
                            #expect(concatenated.sorted() == Array(0..<count))
                            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
                            if !shuffle { #expect(whole.globalIndices == Array(0..<count)) }
                        }
                    }
                }
            }
        }
    }

    @Test func evenSharesGiveEveryRankTheSameCountAndNoRecordTwice() throws {
        for count in 0...20 {
            for world in 1...4 {
                for epoch in 0..<3 {
                    let whole = try EpochPlan(recordCount: count, seed: 2, epoch: epoch).globalIndices
                    var concatenated: [Int] = []
                    for rank in 0..<world {
                        let plan = try EpochPlan(
                            recordCount: count, seed: 2, epoch: epoch,
                            partition: RankPartition(rank: rank, world: world), evenShares: true)
                        #expect(plan.count == count / world)
                        concatenated += plan.globalIndices
                    }
                    // The leading count - count % world positions of the normal epoch order.
                    #expect(concatenated == Array(whole.prefix(count - count % world)))
                }
            }
        }
    }

    @Test func sameSeedSameOrderDifferentEpochOrSeedDifferentOrder() throws {
        let count = 50
        let first = try EpochPlan(recordCount: count, seed: 9, epoch: 0).globalIndices
        #expect(try EpochPlan(recordCount: count, seed: 9, epoch: 0).globalIndices == first)
        #expect(first != Array(0..<count))
        var seen: Set<[Int]> = [first]
        for epoch in 1..<20 { seen.insert(try EpochPlan(recordCount: count, seed: 9, epoch: epoch).globalIndices) }
        for seed: UInt64 in 10..<20 { seen.insert(try EpochPlan(recordCount: count, seed: seed, epoch: 0).globalIndices) }
        #expect(seen.count == 30)
    }

    /// Every one of the 24 orders of 4 records appears about equally often across epochs
    /// (chi-square with 23 degrees of freedom; 70 is far above its 99.999th percentile, 54).
    @Test func shuffleIsUniformOverAllOrders() throws {
        var counts: [[Int]: Int] = [:]
        let trials = 24_000
        for epoch in 0..<trials {
            counts[try EpochPlan(recordCount: 4, seed: 3, epoch: epoch).globalIndices, default: 0] += 1
        }
        #expect(counts.count == 24)
        let expected = Double(trials) / 24
        let chiSquare = counts.values.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 70)
    }

    /// Each record lands in each position with probability 1/n (n = 10, 5,000 epochs).
    @Test func eachPositionIsUniform() throws {
        let n = 10, trials = 5_000
        var hits = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        for epoch in 0..<trials {
            for (position, record) in try EpochPlan(recordCount: n, seed: 77, epoch: epoch).globalIndices.enumerated() {
                hits[record][position] += 1
            }
        }
        let expected = Double(trials) / Double(n)
        for row in hits { for value in row { #expect(abs(Double(value) - expected) < 5 * expected.squareRoot()) } }
    }

    @Test func invalidRequestsAreRefused() {
        #expect(throws: StreamError.self) { try RankPartition(rank: 2, world: 2) }
        #expect(throws: StreamError.self) { try RankPartition(rank: -1, world: 2) }
        #expect(throws: StreamError.self) { try RankPartition(rank: 0, world: 0) }
        #expect(throws: StreamError.self) { try EpochPlan(recordCount: 3, seed: 0, epoch: -1) }
        #expect(throws: StreamError.self) { try EpochPlan(recordCount: Permutation.maxCount + 1, seed: 0, epoch: 0) }
    }
}
