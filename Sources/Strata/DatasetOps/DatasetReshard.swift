import StrataUtilities

/// `strata shard`: rewrites a dataset into shards of a chosen record count or byte size,
/// keeping record order, metadata and (by default) the input's codec settings.
public enum DatasetReshard {
    /// Re-shards `input` (a dataset directory or shard file) into the new directory `output`, under its
    /// `OutputLock`; an existing non-empty `output` is refused (`NewOutputDirectory`).
    /// Exactly one of `recordsPerShard` and `shardBytes` must be given. Without `options` every
    /// stored block is copied byte for byte (CRC-checked, not decompressed); with `options` the values
    /// are re-encoded with those codec settings.
    @discardableResult
    public static func reshard(
        input: String, output: String, recordsPerShard: Int?, shardBytes: Int?,
        options: WriterOptions? = nil
    ) throws -> DatasetManifest {
        guard (recordsPerShard == nil) != (shardBytes == nil) else {
            throw DatasetOpsError.invalid(
                .recordsPerShard, value: recordsPerShard.map { "\($0)" } ?? "",
                "give exactly one of \(setting: DatasetSetting.recordsPerShard) and \(setting: DatasetSetting.shardSize)")
        }
        let lock = try OutputLock(directory: output)
        defer { lock.release() }
        let source = try StrataDataset(path: input, checkShardChecksums: true) // a whole-dataset rewrite (spec/FORMAT.md §11)
        let writer = try RollingDatasetWriter(
            directory: output, metadata: source.metadata,
            options: options ?? WriterOptions(matching: source.metadata),
            recordsPerShard: recordsPerShard, shardBytes: shardBytes)
        // Codec settings as the source's: stored blocks are copied as they are; other settings re-encode.
        let copier = RecordCopier(source: source, reencode: options != nil)
        for global in 0..<source.count { try copier.copy(global, to: writer) }
        return try writer.finish(extra: source.manifest?.extra ?? [:])
    }
}

extension WriterOptions {
    /// The codec settings a shard was written with (defaults where it does not say).
    init(matching metadata: StrataMetadata) {
        self.init()
        if let codec = metadata.codec {
            zstdLevel = codec.level
            blockTargetBytes = codec.blockTargetBytes
            layersPerBlock = codec.layersPerBlock
        }
    }
}
