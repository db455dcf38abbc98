/// A `BatchSource` over records held in memory (tests, small experiments, benchmarks).
public final class InMemoryBatchSource: BatchSource {
    /// One record: layer-major [L][n][d] values (or features for the logit baseline).
    public struct Record: Sendable {
        public var id: String
        public var label: Int
        public var tokens: Int
        public var values: [Float]
        public var features: [Float]
        public init(id: String, label: Int, tokens: Int, values: [Float], features: [Float] = []) {
            self.id = id; self.label = label; self.tokens = tokens; self.values = values; self.features = features
        }
    }

    public let records: [Record]
    public let layers: Int
    public let hidden: Int
    public let featureWidth: Int

    public init(records: [Record], layers: Int, hidden: Int, featureWidth: Int = 0) {
        self.records = records; self.layers = layers; self.hidden = hidden; self.featureWidth = featureWidth
    }

    public var count: Int { records.count }
    public var labels: [Int] { records.map(\.label) }

    public func makeStream(epoch: Int, shuffle: Bool, seed: UInt64, batchSize: Int) throws -> BatchStream {
        Stream(source: self, order: epochOrder(count: count, epoch: epoch, shuffle: shuffle, seed: seed), batchSize: max(1, batchSize))
    }

    private final class Stream: BatchStream {
        let source: InMemoryBatchSource
        let order: [Int]
        let batchSize: Int
        var position = 0

        init(source: InMemoryBatchSource, order: [Int], batchSize: Int) {
            self.source = source; self.order = order; self.batchSize = batchSize
        }

        func next() throws -> Batch? {
            guard position < order.count else { return nil }
            let slice = Array(order[position..<min(order.count, position + batchSize)])
            position += slice.count
            let recs = slice.map { source.records[$0] }
            let readsStates = source.featureWidth == 0
            var builder = PaddedBatchBuilder(
                tokenCounts: recs.map { readsStates ? $0.tokens : 0 }, layers: readsStates ? source.layers : 0,
                hidden: source.hidden, featureWidth: source.featureWidth, endsStep: true)
            for (slot, r) in recs.enumerated() {
                if readsStates {
                    guard r.values.count == source.layers * r.tokens * source.hidden else {
                        throw ProbeError.invalidData(source: "in-memory source", record: r.id,
                                                     reason: "has \(r.values.count) values, expected L·n·d = \(source.layers * r.tokens * source.hidden)")
                    }
                    r.values.withUnsafeBufferPointer { builder.setValues(slot: slot, from: $0, tokens: r.tokens) }
                } else {
                    builder.setFeatures(slot: slot, r.features)
                }
                builder.setLabel(slot: slot, r.label, id: r.id)
            }
            return builder.batch
        }

        func close() {}
    }
}
