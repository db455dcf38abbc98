import Foundation

/// The rule for commands that write a new dataset directory (`shard`, `split`): the directory must be
/// absent or empty (its lock file aside). When it is not, the refusal says whether it holds a finished
/// output or the unfinished output of an interrupted run (a dataset without its `manifest.json`, which
/// is written last), and what to do about it.
enum NewOutputDirectory {
    /// Throws unless `directory` is absent or empty. `datasets` are the dataset directories the command
    /// writes, relative to `directory` (`.` for the directory itself, `train`, `val`, … for split parts).
    static func requireEmpty(_ directory: String, datasets: [String]) throws {
        let entries = self.entries(directory)
        guard !entries.isEmpty else { return }
        if let unfinished = unfinishedPart(directory, datasets: datasets) {
            throw DatasetOpsError.unfinishedOutput(directory, why: unfinished)
        }
        throw DatasetOpsError.outputExists(directory)
    }

    /// What is unfinished about an interrupted run's output in `directory`, or nil when it is not one
    /// (nothing of `datasets` was started, or every one has its manifest).
    static func unfinishedPart(_ directory: String, datasets: [String]) -> String? {
        var started: [String] = [], missing: [String] = []
        for dataset in datasets {
            let path = dataset == "." ? directory : (directory as NSString).appendingPathComponent(dataset)
            let manifest = (path as NSString).appendingPathComponent(DatasetManifest.fileName)
            let name = dataset == "." ? "the directory" : dataset + "/"
            if FileManager.default.fileExists(atPath: manifest) {
                started.append(name)
            } else if entries(path).contains(where: isShardFile) {
                return "\(name) holds shard files but no \(DatasetManifest.fileName)"
            } else {
                missing.append(name)
            }
        }
        guard !started.isEmpty, let first = missing.first else { return nil }
        return "\(started.joined(separator: ", ")) finished but \(first) was never written"
    }

    /// The entries of `directory` other than its lock file (none when it does not exist).
    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != OutputLock.directoryLockName }
    }

    /// A shard file, or one being written (`….strata.partial-PID`).
    private static func isShardFile(_ name: String) -> Bool {
        name.hasSuffix("." + DatasetInputs.shardExtension) || name.contains("." + DatasetInputs.shardExtension + ".partial-")
    }
}
