import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The containment rule for shard paths read from a manifest, which is untrusted input: a
/// shard must be a relative path that stays inside the dataset directory. Refused: empty
/// paths, NUL bytes, absolute paths, any `..` component, and paths whose real location
/// (after following symbolic links) is outside the directory's real location. Symbolic links
/// that stay inside are accepted.
public enum ShardPathPolicy {
    /// Returns the real path of shard `entry` of the manifest at `manifest` whose dataset
    /// directory is `directory`, or throws `DatasetOpsError.unsafeShardPath`.
    /// A path that does not exist is returned joined (unresolved) so that opening it reports
    /// "not found" with the manifest's own spelling.
    public static func resolve(_ entry: String, in directory: String, manifest: String) throws -> String {
        func refuse(_ reason: String) -> DatasetOpsError {
            .unsafeShardPath(manifest: manifest, entry: entry, reason: reason)
        }
        guard !entry.isEmpty else { throw refuse("the path is empty") }
        guard !entry.utf8.contains(0) else { throw refuse("the path contains a NUL byte") }
        guard !entry.hasPrefix("/") else { throw refuse("absolute paths are not allowed") }
        let components = entry.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else { throw refuse("'..' components are not allowed") }
        guard !components.isEmpty, components != ["."] else { throw refuse("the path names the directory itself") }

        let joined = directory.hasSuffix("/") ? directory + entry : directory + "/" + entry
        guard let root = realPath(directory) else {
            throw DatasetOpsError.io(path: directory, operation: "resolve the dataset directory", errno: errno)
        }
        // Resolve the deepest existing ancestor too, so a symlinked parent that leads out is
        // caught even when the final file does not exist yet.
        var probe = joined
        var resolved = realPath(probe)
        while resolved == nil {
            let parent = PathSyntax.parent(of: probe)
            if parent == probe || parent.isEmpty { break }
            probe = parent
            resolved = realPath(probe)
        }
        guard let real = resolved else { return joined }
        let rootPrefix = root == "/" ? "/" : root + "/"
        guard real == root || real.hasPrefix(rootPrefix) else {
            throw refuse("it resolves to \(real), outside \(root) (symbolic link out of the dataset)")
        }
        if probe == joined {
            guard real != root else { throw refuse("the path names the directory itself") }
            return real
        }
        return joined
    }

    /// `realpath(3)`: the absolute path with every symbolic link, `.` and `..` resolved, or
    /// nil when the path does not exist.
    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
