/// What readers check of a shard listed in a manifest (spec/FORMAT.md §11, "Manifest entries").
extension DatasetManifest.Shard {
    /// The checks made whenever a dataset is opened, from the index and the file size alone: the shard's
    /// record count and byte size are the entry's `records` and `bytes`, and its metadata agrees with the
    /// manifest's on `MetadataCompatibility.datasetFields`. `path` is the shard's resolved path.
    func checkOnOpen(_ reader: ShardReader, path: String, datasetMetadata: StrataMetadata) throws {
        guard reader.count == records else {
            throw StrataError(.dataset, "shard has \(reader.count) records but the manifest says \(records)", path: path)
        }
        guard reader.fileSize == bytes else {
            throw StrataError(
                .dataset,
                "shard is \(reader.fileSize) bytes but the manifest says \(bytes) (replaced or changed since the manifest was written?)",
                path: path)
        }
        if let difference = MetadataCompatibility.firstDifference(
            datasetMetadata, reader.metadata, fields: MetadataCompatibility.datasetFields)
        {
            throw StrataError(
                .dataset, "shard's \(difference.field) (\(difference.second)) differs from the manifest's (\(difference.first))", path: path
            )
        }
    }

    /// The whole-file check (reads every byte): the shard's CRC32C is the entry's `crc32c`. Made by
    /// `strata verify` and by the commands that read a whole dataset to write another file from it.
    func checkChecksum(path: String) throws {
        let crc = try fileCRC32C(path)
        guard crc == crc32c else {
            throw StrataError(
                .dataset, "shard CRC32C is \(crc) but the manifest says \(crc32c) (replaced or changed since the manifest was written?)",
                path: path)
        }
    }

    /// True when `crc32c` is written as the format requires: 8 lower-case hex digits.
    var hasWellFormedChecksum: Bool {
        crc32c.utf8.count == 8
            && crc32c.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }
}
