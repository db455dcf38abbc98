import Foundation
import StrataUtilities

/// `strata merge`: gathers shards written independently (e.g. by `strata capture --shard i/n`
/// workers) into one dataset directory with a manifest. Shard data is never re-encoded: a
/// shard already inside the output directory is referenced in place, others are hard-linked,
/// moved or copied byte for byte (`ShardPlacementMode`). The manifest is written last and
/// atomically, so a merge that fails part-way leaves any previous manifest intact.
public enum DatasetMerge {
    /// The outcome of one merge.
    public struct Result: Sendable {
        public struct Placed: Sendable {
            /// Path relative to the dataset directory.
            public var path: String
            public var action: ShardPlacementAction
            public var records: Int
        }

        public var directory: String
        /// Shards added by this merge (not those already listed when appending).
        public var placed: [Placed]
        public var manifest: DatasetManifest
    }

    /// Merges the shards of `inputs` into `directory` (created if absent), holding its `OutputLock`.
    /// - Parameters:
    ///   - append: add to the dataset already in `directory` (its manifest must exist);
    ///     without it, a directory that already has a manifest is refused.
    public static func merge(
        inputs: [String], into directory: String, mode: ShardPlacementMode = .link,
        append: Bool = false
    ) throws -> Result {
        guard !inputs.isEmpty else { throw DatasetOpsError.invalidArgument("merge needs at least one input") }
        let fm = FileManager.default
        // Before the existing manifest is read: two merges into one directory must not both append to it.
        let lock = try OutputLock(directory: directory)
        defer { lock.release() }
        let manifestPath = (directory as NSString).appendingPathComponent(DatasetManifest.fileName)
        var existing: [DatasetManifest.Shard] = []
        var existingShards: [InputShard] = []
        var existingExtra: [String: String] = [:]
        var reference: (metadata: StrataMetadata, label: String)?
        if fm.fileExists(atPath: manifestPath) {
            guard append else {
                throw DatasetOpsError.invalidArgument(
                    "\(directory) already holds a dataset (\(DatasetManifest.fileName)); pass --append to add shards to it, or choose a new --out"
                )
            }
            let manifest = try DatasetManifest.read(path: manifestPath)
            existing = manifest.shards
            existingExtra = manifest.extra
            existingShards = try DatasetInputs.shards(of: directory)
            reference = (manifest.metadata, manifestPath)
        } else if append {
            throw DatasetOpsError.invalid(.append, value: "", "\(directory) has no \(DatasetManifest.fileName) to append to")
        }

        var incoming: [InputShard] = []
        for input in inputs { incoming += try DatasetInputs.shards(of: input) }

        // The same file twice (directly, through two datasets, or by a link) would duplicate every record.
        let allShards = existingShards + incoming
        if let (i, j) = DatasetUniqueness.firstRepeatedShard(allShards.map(\.reader)) {
            throw DatasetOpsError.invalidArgument(
                "cannot merge: \(allShards[j].label) and \(allShards[i].label) are the same shard file (\(allShards[i].path))")
        }

        // Every shard must agree with the first on model, tokenizer, shape, dtype and labels.
        for shard in incoming {
            guard let reference else {
                reference = (shard.reader.metadata, shard.label)
                continue
            }
            if let difference = MetadataCompatibility.firstDifference(reference.metadata, shard.reader.metadata) {
                throw DatasetOpsError.incompatibleMetadata(
                    field: difference.field, first: reference.label, firstValue: difference.first,
                    other: shard.label, otherValue: difference.second)
            }
        }

        // A dataset reader refuses both as well (`StrataDataset`); refusing them here keeps merge from
        // writing a manifest that no reader opens.
        if let duplicate = try DatasetUniqueness.firstDuplicateID(allShards.map(\.reader)) {
            throw DatasetOpsError.duplicateRecordID(
                id: duplicate.id, first: allShards[duplicate.first.shard].label,
                second: allShards[duplicate.second.shard].label)
        }

        // The new manifest records each shard's CRC32C as it is now; a shard taken from a dataset must
        // still be the file its manifest describes (spec/FORMAT.md §11), or the merge would bless a change.
        for shard in incoming { try shard.listed?.checkChecksum(path: shard.path) }

        guard let root = ShardPathPolicy.realPath(directory) else {
            throw DatasetOpsError.invalidArgument("\(directory): cannot resolve the output directory")
        }
        var usedNames = Set(existing.map(\.path))
        var entries = existing
        var placed: [Result.Placed] = []
        for shard in incoming {
            let relative: String
            let action: ShardPlacementAction
            if shard.path.hasPrefix(root + "/") {
                relative = String(shard.path.dropFirst(root.count + 1))
                action = .referenced
            } else {
                relative = uniqueName(for: (shard.path as NSString).lastPathComponent, avoiding: usedNames, in: directory)
                action = try ShardPlacement.place(shard.path, at: (directory as NSString).appendingPathComponent(relative), mode: mode)
            }
            usedNames.insert(relative) // unique: placed names avoid it, referenced paths are distinct files
            let full = (directory as NSString).appendingPathComponent(relative)
            entries.append(
                DatasetManifest.Shard(
                    path: relative, records: shard.reader.count, bytes: shard.reader.fileSize,
                    crc32c: try fileCRC32C(full)))
            placed.append(Result.Placed(path: relative, action: action, records: shard.reader.count))
        }
        guard let metadata = reference?.metadata else {
            throw DatasetOpsError.invalidArgument("merge found no shards in its inputs")
        }
        let manifest = DatasetManifest(metadata: metadata, shards: entries, extra: existingExtra)
        try manifest.write(directory: directory)
        AtomicFile.syncDirectory(directory)
        return Result(directory: directory, placed: placed, manifest: manifest)
    }

    /// `name`, or `stem-2.ext`, `stem-3.ext`, … — the first not used by the manifest and not on disk.
    static func uniqueName(for name: String, avoiding used: Set<String>, in directory: String) -> String {
        let fm = FileManager.default
        func free(_ candidate: String) -> Bool {
            !used.contains(candidate) && !fm.fileExists(atPath: (directory as NSString).appendingPathComponent(candidate))
        }
        if free(name) { return name }
        let stem = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        var k = 2
        while true {
            let candidate = ext.isEmpty ? "\(stem)-\(k)" : "\(stem)-\(k).\(ext)"
            if free(candidate) { return candidate }
            k += 1
        }
    }
}
