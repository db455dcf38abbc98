import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// Resume: a cursor saved after any number of records and resumed from its JSON state
/// yields exactly the rest of the uninterrupted run.
@Suite struct StreamCursorTests {
    static func shards(_ counts: [Int]) -> [ShardSummary] {
        counts.enumerated().map {
            ShardSummary(name: "s\($0.offset).strata", records: $0.element, bytes: 1000 + $0.element, checksum: "c\($0.offset)")
        }
    }

    @Test func resumeAfterEveryPositionEqualsUninterruptedRun() throws {
        for counts in [[0], [1], [3, 0, 4], [5, 5, 5, 2], [20]] {
            let shards = Self.shards(counts)
            for world in 1...4 {
                for rank in 0..<world {
                    for shuffle in [true, false] {
                        let partition = try RankPartition(rank: rank, world: world)
                        var uninterrupted = try StreamCursor(shards: shards, seed: 5, epoch: 2, shuffle: shuffle, partition: partition)
                        var full: [Int] = []
                        while let index = uninterrupted.next() { full.append(index) }
                        for stop in 0...full.count {
                            var cursor = try StreamCursor(shards: shards, seed: 5, epoch: 2, shuffle: shuffle, partition: partition)
                            var before: [Int] = []
                            for _ in 0..<stop { before.append(cursor.next()!) }
                            let json = try cursor.state.jsonData()
                            var resumed = try StreamCursor(resuming: StreamState.decode(json, source: "memory"), shards: shards)
                            var after: [Int] = []
                            while let index = resumed.next() { after.append(index) }
                            #expect(before + after == full)
                        }
                    }
                }
            }
        }
    }

    @Test func evenSharesSurviveResume() throws {
        let shards = Self.shards([7, 4])
        let partition = try RankPartition(rank: 1, world: 3)
        var cursor = try StreamCursor(shards: shards, seed: 8, epoch: 1, partition: partition, evenShares: true)
        var full: [Int] = []
        while let index = cursor.next() { full.append(index) }
        #expect(full.count == 3)
        var first = try StreamCursor(shards: shards, seed: 8, epoch: 1, partition: partition, evenShares: true)
        let head = [first.next()!]
        let state = try StreamState.decode(first.state.jsonData(), source: "memory")
        #expect(state.evenShares == true)
        var resumed = try StreamCursor(resuming: state, shards: shards)
        var tail: [Int] = []
        while let index = resumed.next() { tail.append(index) }
        #expect(head + tail == full)
        #expect(throws: StreamError.self) {
            try StreamCursor.check(state, seed: 8, epoch: 1, rank: 1, world: 3, shuffle: true, evenShares: false)
        }
        // A state written without the key decodes as false.
        let legacy = Data(
            #"{"version":1,"seed":1,"epoch":0,"shuffle":true,"rank":0,"world":1,"position":0,"shard_count":1,"record_count":7,"fingerprint":"x"}"#
                .utf8)
        #expect(try StreamState.decode(legacy, source: "memory").evenShares == nil)
    }

    @Test func stateRoundTripsLargeSeedsExactly() throws {
        var cursor = try StreamCursor(shards: Self.shards([7]), seed: UInt64.max - 1, epoch: 3)
        _ = cursor.next()
        let decoded = try StreamState.decode(cursor.state.jsonData(), source: "memory")
        #expect(decoded == cursor.state)
        #expect(decoded.seed == UInt64.max - 1)
    }

    @Test func appendedShardsAreLeftForTheNextEpoch() throws {
        var cursor = try StreamCursor(shards: Self.shards([4, 4]), seed: 1, epoch: 0)
        var before: [Int] = []
        for _ in 0..<3 { before.append(cursor.next()!) }
        var resumed = try StreamCursor(resuming: cursor.state, shards: Self.shards([4, 4, 9]))
        var after: [Int] = []
        while let index = resumed.next() { after.append(index) }
        #expect((before + after).sorted() == Array(0..<8))
    }

    @Test func changedDatasetRefusesResume() throws {
        let state = try StreamCursor(shards: Self.shards([4, 4]), seed: 1, epoch: 0).state
        var replaced = Self.shards([4, 4])
        replaced[1].checksum = "other"
        var reordered = Self.shards([4, 4])
        reordered.swapAt(0, 1)
        for changed in [replaced, reordered, Self.shards([4]), Self.shards([4, 3])] {
            #expect(throws: StreamError.self) { try StreamCursor(resuming: state, shards: changed) }
        }
        do {
            _ = try StreamCursor(resuming: state, shards: replaced)
        } catch let error as StreamError {
            #expect(error.description.contains("dataset changed"))
        }
    }

    @Test func mismatchedRequestAndBadStatesAreRefused() throws {
        let state = try StreamCursor(shards: Self.shards([4]), seed: 1, epoch: 2).state
        #expect(throws: StreamError.stateMismatch(field: "epoch", state: "2", requested: "3")) {
            try StreamCursor.check(state, seed: 1, epoch: 3, rank: 0, world: 1, shuffle: true)
        }
        try StreamCursor.check(state, seed: 1, epoch: 2, rank: 0, world: 1, shuffle: true)
        var far = state
        far.position = 5
        #expect(throws: StreamError.positionOutOfRange(position: 5, count: 4)) { try StreamCursor(resuming: far, shards: Self.shards([4])) }
        #expect(throws: StreamError.self) { try StreamState.decode(Data("{".utf8), source: "x") }
        var future = state
        future.version = 99
        #expect(throws: StreamError.self) { try StreamState.decode(future.jsonData(), source: "x") }
        for mutate in [{ (s: inout StreamState) in s.position = -1 }, { $0.shardCount = -2 }, { $0.epoch = -1 }] {
            var bad = state
            mutate(&bad)
            #expect(throws: StreamError.self) { try StreamCursor(resuming: bad, shards: Self.shards([4])) }
        }
        var badRank = state
        badRank.rank = 3
        #expect(throws: StreamError.self) { try StreamCursor(resuming: badRank, shards: Self.shards([4])) }
    }

    @Test func stateSavesAtomicallyAndLoads() throws {
        try withTemporaryDirectory { directory in
            var cursor = try StreamCursor(shards: Self.shards([6]), seed: 4, epoch: 0)
            _ = cursor.next()
            let path = directory + "/state.json"
            try cursor.state.save(to: path)
            _ = cursor.next()
            try cursor.state.save(to: path)
            #expect(try StreamState.load(from: path) == cursor.state)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["state.json"])
        }
    }
}
