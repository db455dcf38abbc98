import StrataProbe

/// Small labelled hidden-state sets with a known signal, for training tests.
enum Synthetic {
    /// Records of L layers × n tokens × d. Class c shifts a few tokens of layer `signalLayer`
    /// along direction c (unit vectors e_c scaled by `strength`); everything else is noise.
    static func source(
        count: Int, layers: Int = 3, hidden: Int = 12, classes: Int = 2, signalLayer: Int = 1,
        strength: Float = 1.5, seed: UInt64 = 1, featureWidth: Int = 0, lastTokenSignal: Bool = false
    ) throws -> RecordBatchSource {
        var rng = SeededGenerator(seed: seed)
        var records: [InMemoryRecords.Record] = []
        for i in 0..<count {
            let label = Int(rng.next() % UInt64(classes))
            let n = 3 + Int(rng.next() % 8)
            var v = (0..<(layers * n * hidden)).map { _ in rng.normal() * 0.5 }
            for _ in 0..<max(1, n / 3) {
                let token = lastTokenSignal ? n - 1 : Int(rng.next() % UInt64(n))
                v[(signalLayer * n + token) * hidden + label] += strength * 3
            }
            var features: [Float] = []
            if featureWidth > 0 {
                features = (0..<featureWidth).map { _ in rng.normal() }
                features[label % featureWidth] += strength
            }
            records.append(.init(id: "r\(i)", label: label, tokens: n, values: featureWidth > 0 ? [] : v, features: features))
        }
        return try RecordBatchSource(
            inMemory: InMemoryRecords(
                records: records, layers: featureWidth > 0 ? 0 : layers, hidden: hidden,
                featureWidth: featureWidth))
    }
}
