import Testing

@testable import Strata

/// The generators and the epoch shuffle against independent references: the published
/// xoshiro256** test vectors (SplitMix64's are in StrataUtilitiesTests), and orders printed by
/// `checks/stream_reference.py` (a separate Python implementation of spec/DATASETS.md).
@Suite struct ReferenceVectorTests {
    @Test func xoshiroMatchesReferenceImplementation() {
        // Blackman & Vigna's xoshiro256starstar.c from state {1, 2, 3, 4}.
        var generator = Xoshiro256StarStar(state: (1, 2, 3, 4))
        let outputs = (0..<6).map { _ in generator.next() }
        #expect(
            outputs == [
                11520, 0, 1_509_978_240, 1_215_971_899_390_074_240,
                1_216_172_134_540_287_360, 607_988_272_756_665_600
            ])
    }

    /// `python3 checks/stream_reference.py SEED EPOCH N [DOMAIN]`.
    @Test(arguments: [
        (UInt64(0), 0, 10, ShuffleDomain.streamEpoch, [7, 2, 8, 6, 1, 9, 0, 3, 4, 5]),
        (UInt64(42), 0, 20, .streamEpoch, [0, 5, 18, 6, 14, 17, 7, 19, 4, 11, 8, 12, 9, 2, 16, 13, 15, 3, 10, 1]),
        (UInt64(42), 1, 20, .streamEpoch, [10, 18, 0, 11, 7, 13, 8, 3, 2, 6, 9, 16, 17, 19, 12, 5, 15, 14, 1, 4]),
        (
            UInt64.max, 7, 33, .streamEpoch,
            [
                20, 4, 10, 12, 2, 7, 3, 28, 25, 0, 18, 32, 24, 15, 1, 11, 30, 29, 8, 21, 9,
                26, 19, 14, 22, 17, 27, 16, 6, 13, 31, 5, 23
            ]
        ),
        (UInt64(7), 0, 25, .split, [1, 16, 21, 15, 18, 20, 7, 11, 4, 10, 17, 3, 12, 8, 5, 22, 0, 14, 23, 13, 6, 9, 24, 2, 19])
    ])
    func epochOrderMatchesPythonReference(seed: UInt64, epoch: Int, count: Int, domain: ShuffleDomain, expected: [Int]) {
        var generator = ShuffleKey.generator(seed: seed, domain: domain, epoch: UInt64(epoch))
        let order = Permutation.shuffled(count: count, using: &generator).map(Int.init)
        #expect(order == expected)
    }

    /// `python3 checks/stream_reference.py fingerprint shard-00000.strata 2 12345 1a2b3c4d "wörk/b.strata" 0 99 ""`
    @Test func datasetFingerprintMatchesPythonReference() {
        let shards = [
            ShardSummary(name: "shard-00000.strata", records: 2, bytes: 12345, checksum: "1a2b3c4d"),
            ShardSummary(name: "wörk/b.strata", records: 0, bytes: 99, checksum: "")
        ]
        #expect(DatasetFingerprint.of(shards) == "bea727190ca92dc9")
    }

    /// `python3 checks/stream_reference.py split SEED FRACTIONS KEYS`.
    @Test func splitAssignmentMatchesPythonReference() throws {
        let parts = [DatasetSplit.Part(name: "train", fraction: 0.6), .init(name: "val", fraction: 0.2), .init(name: "test", fraction: 0.2)]
        let keys = "a,b,a,a,b,c,a,b,b,a,c,a,b,a,a,c,b,a,a,b".split(separator: ",").map(String.init)
        #expect(
            try DatasetSplit.assign(keys: keys, parts: parts, seed: 5) == [
                [0, 1, 2, 3, 6, 8, 10, 14, 15, 16, 18, 19], [7, 9, 12, 13], [4, 5, 11, 17]
            ])
        let partial = [DatasetSplit.Part(name: "train", fraction: 0.5), .init(name: "val", fraction: 0.25)]
        let keys2 = "x,y,x,x,y,y,x,y,x,x,x,y".split(separator: ",").map(String.init)
        #expect(try DatasetSplit.assign(keys: keys2, parts: partial, seed: 9) == [[1, 3, 4, 6, 7, 9], [8, 10, 11]])
    }

    @Test func boundedStaysInRangeForAwkwardBounds() {
        var generator = Xoshiro256StarStar(seed: 99)
        for bound: UInt64 in [1, 2, 3, 7, 1 << 32 + 1, UInt64.max / 3 * 2, UInt64.max] {
            for _ in 0..<200 { #expect(generator.bounded(bound) < bound) }
        }
    }
}
