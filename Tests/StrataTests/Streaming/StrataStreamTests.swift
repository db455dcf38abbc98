import Foundation
import Testing

@testable import Strata

/// The prefetching stream over an in-memory source: order, values, layer subsets,
/// partitioning, resume, error propagation and the prefetch memory bound.
@Suite struct StrataStreamTests {
    static func options(
        seed: UInt64 = 11, epoch: Int = 0, rank: Int = 0, world: Int = 1, threads: Int = 2,
        budget: Int = 1 << 20, layers: StreamOptions.LayerSelection = .all
    ) -> StreamOptions {
        var options = StreamOptions()
        options.seed = seed
        options.epoch = epoch
        options.rank = rank
        options.world = world
        options.prefetchThreads = threads
        options.prefetchBytes = budget
        options.layers = layers
        return options
    }

    static func drain(_ stream: StrataStream) throws -> [StreamedRecord] {
        var records: [StreamedRecord] = []
        while let record = try stream.next() { records.append(record) }
        return records
    }

    @Test(arguments: [1, 2, 3])
    func everyRecordOncePerEpochAcrossWorkersWithCorrectValues(world: Int) throws {
        let source = InMemorySource(shardCounts: [5, 0, 9, 3])
        var seen: [Int] = []
        for rank in 0..<world {
            let stream = try StrataStream(source: source, options: Self.options(rank: rank, world: world, threads: 1 + rank % 3))
            let records = try Self.drain(stream)
            #expect(records.map(\.globalIndex) == stream.plan.globalIndices)
            for record in records {
                #expect(record.id == "r\(record.globalIndex)")
                #expect(record.labels == [record.globalIndex % 3])
                #expect(record.values.count == 4 * record.nTokens * 3)
                #expect(record.layerSlice(2).first == InMemorySource.value(record.globalIndex, layer: 2, token: 0, h: 0))
                #expect(record.values.last == InMemorySource.value(record.globalIndex, layer: 3, token: record.nTokens - 1, h: 2))
            }
            seen += records.map(\.globalIndex)
        }
        #expect(seen.sorted() == Array(0..<source.count))
    }

    @Test func layerSubsetDeliversOnlyThoseLayersInRequestOrder() throws {
        let source = InMemorySource(shardCounts: [6])
        let stream = try StrataStream(source: source, options: Self.options(layers: .positions([3, 1])))
        for record in try Self.drain(stream) {
            #expect(record.layerCount == 2)
            let g = record.globalIndex
            var expected: [Float] = []
            for layer in [3, 1] {
                for t in 0..<record.nTokens { for h in 0..<3 { expected.append(InMemorySource.value(g, layer: layer, token: t, h: h)) } }
            }
            #expect(record.values == expected)
        }
        let idsOnly = try StrataStream(source: source, options: Self.options(layers: .none))
        let records = try Self.drain(idsOnly)
        #expect(records.count == 6 && records.allSatisfy { $0.values.isEmpty })
        #expect(source.started.count == 6) // only the subset stream decoded values
        #expect(throws: StreamError.self) { try StrataStream(source: source, options: Self.options(layers: .positions([4]))) }
    }

    @Test func sameSeedSameOrderNewEpochNewOrder() throws {
        let source = InMemorySource(shardCounts: [30])
        let a = try Self.drain(StrataStream(source: source, options: Self.options(epoch: 0))).map(\.globalIndex)
        let b = try Self.drain(StrataStream(source: source, options: Self.options(epoch: 0, threads: 3))).map(\.globalIndex)
        let c = try Self.drain(StrataStream(source: source, options: Self.options(epoch: 1))).map(\.globalIndex)
        #expect(a == b)
        #expect(a != c)
        #expect(a.sorted() == c.sorted())
    }

    @Test func resumeAfterNRecordsEqualsUninterruptedRun() throws {
        let source = InMemorySource(shardCounts: [7, 8])
        for world in 1...3 {
            for rank in 0..<world {
                let options = Self.options(epoch: 3, rank: rank, world: world)
                let full = try Self.drain(StrataStream(source: source, options: options)).map(\.globalIndex)
                for stop in 0...full.count {
                    let first = try StrataStream(source: source, options: options)
                    let before = try first.nextBatch(stop).map(\.globalIndex)
                    let saved = try first.state.jsonData()
                    first.close()
                    let resumed = try StrataStream(
                        source: source, options: options,
                        resume: StreamState.decode(saved, source: "memory"))
                    #expect(before + (try Self.drain(resumed)).map(\.globalIndex) == full)
                }
            }
        }
    }

    @Test func readFailureSurfacesAndIsRetriedOnResume() throws {
        let source = InMemorySource(shardCounts: [10])
        let options = Self.options()
        let order = try EpochPlan(recordCount: 10, seed: 11, epoch: 0).globalIndices
        source.failingRecord = order[4]
        let stream = try StrataStream(source: source, options: options)
        #expect(try stream.nextBatch(4).count == 4)
        #expect(throws: StreamError.invalidRequest("synthetic failure at \(order[4])")) { try stream.next() }
        #expect(throws: (any Error).self) { try stream.next() }
        #expect(stream.state.position == 4)
        source.failingRecord = nil
        let resumed = try StrataStream(source: source, options: options, resume: stream.state)
        #expect(try Self.drain(resumed).map(\.globalIndex) == Array(order[4...]))
    }

    /// Between two `next()` calls the records whose decoding has started but that were not yet
    /// delivered must fit the budget (or be a single record), measured from the source's own log.
    @Test(arguments: [1, 3])
    func prefetchStaysWithinItsByteBudget(threads: Int) throws {
        let source = InMemorySource(shardCounts: [40, 40], hidden: 64, layers: 4)
        source.readDelay = 0.0005
        let bytesPerToken = 4 * 64 * 4
        func size(_ g: Int) -> Int { InMemorySource.tokens(g) * bytesPerToken + PrefetchPipeline.recordOverheadBytes }
        let budget = 3 * 7 * bytesPerToken // about three of the largest records
        let stream = try StrataStream(source: source, options: Self.options(threads: threads, budget: budget))
        let order = stream.plan.globalIndices
        var delivered = 0
        while let record = try stream.next() {
            #expect(record.globalIndex == order[delivered])
            delivered += 1
            if delivered % 5 == 0 { Thread.sleep(forTimeInterval: 0.01) } // let the prefetcher fill up
            let started = Set(source.started)
            let beyond = order[delivered...].filter { started.contains($0) }
            let held = beyond.reduce(0) { $0 + size($1) }
            #expect(held <= budget || beyond.count == 1)
            #expect(stream.prefetchedBytes <= budget)
        }
        #expect(delivered == 80)
        #expect(stream.peakPrefetchedBytes <= budget)
        #expect(stream.peakPrefetchedBytes > budget / 2) // it did prefetch ahead
    }

    @Test func budgetSmallerThanOneRecordStillStreamsOneAtATime() throws {
        let source = InMemorySource(shardCounts: [12], hidden: 16)
        let stream = try StrataStream(source: source, options: Self.options(threads: 3, budget: 1))
        let records = try Self.drain(stream)
        #expect(records.map(\.globalIndex) == stream.plan.globalIndices)
        #expect(stream.peakPrefetchedBytes == records.map { $0.values.count * 4 + PrefetchPipeline.recordOverheadBytes }.max())
    }

    @Test func closeStopsTheStreamAndAuxiliaryVectorsArrive() throws {
        let source = InMemorySource(shardCounts: [50])
        var options = Self.options(threads: 2)
        options.auxiliary = ["logp"]
        let stream = try StrataStream(source: source, options: options)
        let first = try #require(try stream.next())
        #expect(first.auxiliary["logp"] == [Float(first.globalIndex), 4])
        stream.close()
        #expect(throws: StreamError.closed) { try stream.next() }
    }
}
