import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// `StrataStream` over real shards (`StrataDataset`): values, layer subsets, auxiliary vectors and
/// the prefetch budget with a consumer slower than the reader.
@Suite struct DatasetStreamTests {
    @Test func streamsRealShardsFaithfullyWithinTheBudget() throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/a.strata", keys: Array(0..<12))
            try DatasetFixtures.writeShard(root + "/b.strata", keys: Array(12..<30))
            _ = try DatasetMerge.merge(inputs: [root + "/a.strata", root + "/b.strata"], into: root + "/ds")
            var options = StreamOptions()
            options.seed = 21
            options.layers = .positions([2, 0])
            options.auxiliary = ["logp"]
            options.prefetchThreads = 2
            let largest = 2 * 4 * DatasetFixtures.hidden * 4 + PrefetchPipeline.recordOverheadBytes
            options.prefetchBytes = 3 * largest
            let stream = try StrataStream(path: root + "/ds", options: options)
            var keys: [Int] = []
            while let record = try stream.next() {
                let key = try #require(DatasetFixtures.key(ofID: record.id))
                #expect(record.values == DatasetFixtures.values(key, layers: [2, 0]))
                #expect(record.labels == [DatasetFixtures.label(key)])
                #expect(record.auxiliary["logp"] == [Float(key), -1])
                keys.append(key)
                Thread.sleep(forTimeInterval: 0.002) // a consumer slower than the reader
                #expect(stream.prefetchedBytes <= options.prefetchBytes)
            }
            #expect(keys.sorted() == Array(0..<30))
            #expect(stream.peakPrefetchedBytes <= options.prefetchBytes)
            #expect(stream.peakPrefetchedBytes >= largest) // it did read ahead
        }
    }
}
