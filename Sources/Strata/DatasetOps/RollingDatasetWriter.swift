import Foundation
import StrataUtilities

/// Writes records into a new dataset directory as a series of shards
/// (`shard-00000.strata`, `shard-00001.strata`, …), starting the next shard when the current
/// one reaches `recordsPerShard` records or `shardBytes` bytes, and writes the manifest when
/// finished. Used by `strata shard` and `strata split`, which hold the output's `OutputLock`.
final class RollingDatasetWriter {
    let directory: String
    let metadata: StrataMetadata
    let options: WriterOptions
    let recordsPerShard: Int?
    let shardBytes: Int?
    private var current: ShardWriter?
    private var closedShards: [String] = []

    init(
        directory: String, metadata: StrataMetadata, options: WriterOptions,
        recordsPerShard: Int?, shardBytes: Int?
    ) throws {
        if let recordsPerShard, recordsPerShard < 1 {
            throw DatasetOpsError.invalid(.recordsPerShard, value: "\(recordsPerShard)", "must be at least 1")
        }
        if let shardBytes, shardBytes < 1 { throw DatasetOpsError.invalid(.shardSize, value: "\(shardBytes)", "must be positive") }
        try NewOutputDirectory.requireEmpty(directory, datasets: ["."])
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.metadata = metadata
        self.options = options
        self.recordsPerShard = recordsPerShard
        self.shardBytes = shardBytes
    }

    private var currentName: String { String(format: "shard-%05d.strata", closedShards.count) }

    func append(_ record: RecordInput, values: HiddenStatesBuffer) throws {
        try writerForNextRecord().append(record, values: values)
    }

    /// Appends a record from blocks (some pre-encoded, e.g. copied from another Strata shard).
    func append(_ record: RecordInput, blocks: [RecordBlock]) throws {
        try writerForNextRecord().append(record, blocks: blocks)
    }

    /// The shard the next record goes to, after starting a new one when the current one is full.
    private func writerForNextRecord() throws -> ShardWriter {
        if let writer = current {
            let full = recordsPerShard.map { writer.recordCount >= $0 } ?? false
            let big = shardBytes.map { writer.byteCount >= $0 } ?? false
            if full || big { try rollOver() }
        }
        if current == nil { try open() }
        return current!
    }

    private func open() throws {
        current = try ShardWriter(path: (directory as NSString).appendingPathComponent(currentName), metadata: metadata, options: options)
    }

    private func rollOver() throws {
        guard let writer = current else { return }
        let name = currentName
        try writer.close()
        closedShards.append(name)
        current = nil
    }

    /// Seals the last shard (an empty one when nothing was written, so the result is still a
    /// valid dataset) and writes the manifest atomically.
    @discardableResult
    func finish(extra: [String: String] = [:]) throws -> DatasetManifest {
        if current == nil && closedShards.isEmpty { try open() }
        try rollOver()
        let manifest = try DatasetManifest.build(directory: directory, shardPaths: closedShards, extra: extra)
        try manifest.write(directory: directory)
        AtomicFile.syncDirectory(directory)
        return manifest
    }
}
