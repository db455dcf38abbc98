import Foundation

/// One shard found among the inputs of a dataset operation.
struct InputShard {
    /// Real (symlink-free, absolute) path of the shard file.
    let path: String
    /// How to name it in messages: the argument it came from, plus the shard inside it.
    let label: String
    let reader: ShardReader
    /// The shard's entry in the manifest of the dataset it came from (nil for a bare shard file).
    var listed: DatasetManifest.Shard? = nil
}

/// Turns command-line inputs into shard files: a shard file stands for itself; a dataset
/// directory for the shards its manifest lists (each checked by `ShardPathPolicy` and as opening the
/// dataset would check it, `DatasetManifest.Shard.checkOnOpen`); a
/// directory without a manifest for the `*.strata` files directly inside it, by name.
enum DatasetInputs {
    static let shardExtension = "strata"

    static func shards(of input: String) throws -> [InputShard] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw DatasetOpsError.invalidArgument("\(input): no such file or directory")
        }
        guard isDirectory.boolValue else {
            let real = ShardPathPolicy.realPath(input) ?? input
            return [InputShard(path: real, label: input, reader: try ShardReader(path: real))]
        }
        let manifestPath = (input as NSString).appendingPathComponent(DatasetManifest.fileName)
        if FileManager.default.fileExists(atPath: manifestPath) {
            let manifest = try DatasetManifest.read(path: manifestPath)
            return try manifest.shards.map { entry in
                let real = try ShardPathPolicy.resolve(entry.path, in: input, manifest: manifestPath)
                let reader = try ShardReader(path: real)
                try entry.checkOnOpen(reader, path: real, datasetMetadata: manifest.metadata)
                return InputShard(
                    path: real, label: (input as NSString).appendingPathComponent(entry.path),
                    reader: reader, listed: entry)
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: input)
            .filter { ($0 as NSString).pathExtension == shardExtension }
            .sorted()
        guard !names.isEmpty else {
            throw DatasetOpsError.invalidArgument(
                "\(input): a directory with neither \(DatasetManifest.fileName) nor .\(shardExtension) shard files")
        }
        return try names.map { name in
            let full = (input as NSString).appendingPathComponent(name)
            let real = ShardPathPolicy.realPath(full) ?? full
            return InputShard(path: real, label: full, reader: try ShardReader(path: real))
        }
    }
}
