import Foundation

/// Where Strata keeps downloaded model files: `$STRATA_HOME/models/`, with `STRATA_HOME`
/// defaulting to `~/.cache/strata`.
public enum ModelCache {
    /// The Strata cache root: `$STRATA_HOME` when set and non-empty, otherwise `~/.cache/strata`.
    public static var home: String {
        if let custom = ProcessInfo.processInfo.environment["STRATA_HOME"], !custom.isEmpty {
            return custom
        }
        return NSString(string: "~/.cache/strata").expandingTildeInPath
    }

    /// The folder holding model files (`<home>/models`).
    public static var modelsDirectory: String { home + "/models" }

    /// The cached file for `name`: a known model's short name (e.g. "smollm2", see `KnownModel`)
    /// or a file name inside the models folder. The file may not exist yet.
    public static func path(for name: String) -> String {
        let fileName = KnownModel.named(name)?.fileName ?? name
        return modelsDirectory + "/" + fileName
    }

    /// The cached file for `name` when it exists, nil otherwise.
    public static func existingPath(for name: String) -> String? {
        let path = path(for: name)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
