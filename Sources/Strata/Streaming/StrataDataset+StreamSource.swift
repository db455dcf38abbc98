import Foundation

/// A dataset streams directly: its manifest entries identify the shards for planning and
/// resume; a single shard file is identified by its name, record count and size.
extension StrataDataset: StreamSource {
    public var streamShards: [ShardSummary] {
        if let manifest {
            return manifest.shards.map { ShardSummary(name: $0.path, records: $0.records, bytes: $0.bytes, checksum: $0.crc32c) }
        }
        return shards.map {
            ShardSummary(name: ($0.path as NSString).lastPathComponent, records: $0.count, bytes: $0.fileSize, checksum: "")
        }
    }

    public var streamHidden: Int { metadata.hidden }
    public var streamDescription: String { path }
    public var streamDType: StrataDType { metadata.dtype }
    public func streamAuxiliaryWidth(_ name: String) -> Int? { metadata.auxiliary.first { $0.name == name }?.length }
    public var streamLayerCount: Int { metadata.layers.count }

    public func streamHeader(_ global: Int) throws -> StreamRecordHeader {
        let (shard, local) = locate(global)
        guard shard < shards.count else {
            throw StreamError.invalidRequest("record \(global) is outside the dataset's \(count) records")
        }
        let reader = shards[shard]
        let info = try reader.info(local)
        return StreamRecordHeader(id: info.id, labels: info.labels, nTokens: info.nTokens)
    }

    public func streamValues(_ global: Int, layers: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        try readFloat(global, layers: layers, tokens: nil, into: buffer)
    }

    public func streamAuxiliary(_ global: Int, name: String) throws -> [Float] {
        try auxiliary(global, name: name)
    }
}
