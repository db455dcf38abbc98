import Foundation

/// A dataset = a directory with manifest.json + shards, or a single shard file.
public final class StrataDataset: @unchecked Sendable {
    public let path: String
    public let metadata: StrataMetadata
    public let shards: [ShardReader]
    /// The manifest, when the dataset is a directory.
    public let manifest: DatasetManifest?
    /// starts[i] = global index of shard i's first record; starts.last = total.
    private let starts: [Int]

    public var count: Int { starts.last ?? 0 }

    /// Opens a dataset directory (reads manifest.json, opens each shard and makes the checks of
    /// spec/FORMAT.md §11: record count, byte size and metadata against the manifest, no shard file listed
    /// twice and no record id in two shards) or a single shard file. With `checkShardChecksums` each shard's
    /// whole-file CRC32C is checked against the manifest too (reads every byte; `strata verify` and the
    /// commands that rewrite a whole dataset ask for it).
    public init(path: String, checkShardChecksums: Bool = false) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StrataError(.io, "no such file or directory", path: path)
        }
        if isDirectory.boolValue {
            let manifestPath = (path as NSString).appendingPathComponent(DatasetManifest.fileName)
            guard FileManager.default.fileExists(atPath: manifestPath) else {
                throw StrataError(
                    .dataset, "directory has no \(DatasetManifest.fileName); a dataset directory needs one (or pass a shard file)",
                    path: path)
            }
            let m = try DatasetManifest.read(path: manifestPath, checkingTotal: false)
            var readers: [ShardReader] = []
            for (i, s) in m.shards.enumerated() {
                // The manifest is untrusted: a shard path must stay inside the directory.
                let full = try ShardPathPolicy.resolve(s.path, in: path, manifest: manifestPath)
                let r = try ShardReader(path: full)
                guard r.count == s.records else {
                    throw StrataError(
                        .dataset, "\(m.describeEntry(i)) says \(s.records) records but the shard holds \(r.count)", path: manifestPath)
                }
                try s.checkOnOpen(r, path: full, datasetMetadata: m.metadata)
                if checkShardChecksums { try s.checkChecksum(path: full) }
                readers.append(r)
            }
            // Every entry matches its shard, so a wrong total is the total's own fault.
            try m.checkTotal(path: manifestPath)
            try Self.checkUniqueness(readers, manifest: m, manifestPath: manifestPath)
            manifest = m
            metadata = m.metadata
            shards = readers
        } else {
            let r = try ShardReader(path: path)
            manifest = nil
            metadata = r.metadata
            shards = [r]
        }
        var s = [0]
        for r in shards { s.append(s.last! + r.count) }
        starts = s
    }

    /// Refuses a manifest that lists one file twice (by any spelling or link) or whose shards share a
    /// record id (spec/FORMAT.md §11), naming both shards. A stream would otherwise serve those records
    /// twice per epoch.
    private static func checkUniqueness(_ readers: [ShardReader], manifest: DatasetManifest, manifestPath: String) throws {
        guard readers.count > 1 else { return }
        if let (i, j) = DatasetUniqueness.firstRepeatedShard(readers) {
            throw StrataError(
                .dataset,
                "shards \(i) (\"\(manifest.shards[i].path)\") and \(j) (\"\(manifest.shards[j].path)\") are the same file; a manifest must list each shard once",
                path: manifestPath)
        }
        if let duplicate = try DatasetUniqueness.firstDuplicateID(readers) {
            let first = manifest.shards[duplicate.first.shard].path, second = manifest.shards[duplicate.second.shard].path
            throw StrataError(
                .dataset,
                "record id \"\(duplicate.id)\" occurs twice: \(first) record \(duplicate.first.record) and \(second) record \(duplicate.second.record); record ids must be unique within a dataset",
                path: manifestPath)
        }
    }

    /// Global record index -> (shard, local index). Out-of-range indices give (shards.count, 0).
    public func locate(_ global: Int) -> (shard: Int, local: Int) {
        guard global >= 0 && global < count else { return (shards.count, 0) }
        var lo = 0, hi = shards.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= global { lo = mid } else { hi = mid - 1 }
        }
        return (lo, global - starts[lo])
    }

    private func shard(for global: Int) throws -> (ShardReader, Int) {
        let (s, l) = locate(global)
        guard s < shards.count else {
            throw StrataError(.invalidArgument, "record index \(global) is out of range 0..<\(count)", path: path)
        }
        return (shards[s], l)
    }

    public func info(_ global: Int) throws -> RecordInfo {
        let (r, l) = try shard(for: global)
        return try r.info(l)
    }

    public func readFloat(_ global: Int, layers: [Int]? = nil, tokens: Range<Int>? = nil) throws -> [Float] {
        let (r, l) = try shard(for: global)
        return try r.readFloat(l, layers: layers, tokens: tokens)
    }

    public func readFloat(_ global: Int, layers: [Int]?, tokens: Range<Int>?, into: UnsafeMutableBufferPointer<Float>) throws {
        let (r, l) = try shard(for: global)
        try r.readFloat(l, layers: layers, tokens: tokens, into: into)
    }

    /// Calls `body` with each record's global index and info, in dataset order (shard by shard).
    public func forEachRecord(_ body: (Int, RecordInfo) throws -> Void) throws {
        for (s, shard) in shards.enumerated() {
            for local in 0..<shard.count { try body(starts[s] + local, try shard.info(local)) }
        }
    }

    public func auxiliary(_ global: Int, name: String) throws -> [Float] {
        let (r, l) = try shard(for: global)
        return try r.auxiliary(l, name: name)
    }
}
