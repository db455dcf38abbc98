import Strata

/// Records held in memory as a `StreamSource` (tests, small experiments, benchmarks), read
/// through `RecordBatchSource(inMemory:)` like any dataset.
public final class InMemoryRecords: StreamSource {
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

    /// The auxiliary name under which each record's `features` are read.
    public static let featureName = "features"

    public let records: [Record]
    public let layers: Int
    public let hidden: Int
    public let featureWidth: Int

    public init(records: [Record], layers: Int, hidden: Int, featureWidth: Int = 0) {
        self.records = records; self.layers = layers; self.hidden = hidden; self.featureWidth = featureWidth
    }

    public var streamShards: [ShardSummary] { [ShardSummary(name: "in-memory", records: records.count, bytes: 0, checksum: "")] }
    public var streamHidden: Int { hidden }
    public var streamLayerCount: Int { layers }
    public var streamDescription: String { "in-memory records" }

    private func record(_ i: Int) throws -> Record {
        guard i >= 0, i < records.count else { throw StreamError.invalidRequest("record \(i) is outside 0..<\(records.count)") }
        return records[i]
    }

    public func streamHeader(_ i: Int) throws -> StreamRecordHeader {
        let r = try record(i)
        return StreamRecordHeader(id: r.id, labels: r.label >= 0 ? [r.label] : [], nTokens: featureWidth > 0 ? 0 : r.tokens)
    }

    public func streamValues(_ i: Int, layers selected: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let r = try record(i)
        let stride = r.tokens * hidden
        guard r.values.count == layers * stride else {
            throw ProbeError.invalidData(
                source: streamDescription, record: r.id,
                reason: "has \(r.values.count) values, expected L·n·d = \(layers * stride)")
        }
        let chosen = selected ?? Array(0..<layers)
        guard buffer.count == chosen.count * stride else {
            throw StreamError.invalidRequest("record \(i): buffer holds \(buffer.count) values, expected \(chosen.count * stride)")
        }
        for (j, l) in chosen.enumerated() {
            _ = UnsafeMutableBufferPointer(rebasing: buffer[j * stride..<(j + 1) * stride])
                .update(fromContentsOf: r.values[l * stride..<(l + 1) * stride])
        }
    }

    public func streamAuxiliary(_ i: Int, name: String) throws -> [Float] {
        guard name == Self.featureName else { throw StreamError.invalidRequest("in-memory records hold no auxiliary vector '\(name)'") }
        return try record(i).features
    }

    public func streamAuxiliaryWidth(_ name: String) -> Int? { name == Self.featureName ? featureWidth : nil }
}

extension RecordBatchSource {
    /// Every record of `records`, in memory: their hidden states (all layers), or their features
    /// when `records.featureWidth` > 0.
    public convenience init(inMemory records: InMemoryRecords, budget: MemoryBudget = MemoryBudget(bytes: 1 << 30)) throws {
        let content: RecordSelection.Content =
            records.featureWidth > 0
            ? .auxiliary(InMemoryRecords.featureName) : .layers((0..<records.layers).map { LayerPosition($0) })
        try self.init(source: records, selection: RecordSelection(source: records, content: content), budget: budget)
    }
}
