import StrataUtilities
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Errors of dataset-level operations (manifest safety, merge, re-shard, split). Each says
/// what failed, on which path or field, and why.
public enum DatasetOpsError: SettingError, CustomStringConvertible, Equatable {
    case io(path: String, operation: String, errno: Int32)
    /// A manifest names a shard outside the dataset directory (absolute path, `..`, or a
    /// symbolic link that resolves elsewhere).
    case unsafeShardPath(manifest: String, entry: String, reason: String)
    /// Inputs to merge disagree on a metadata field.
    case incompatibleMetadata(field: String, first: String, firstValue: String, other: String, otherValue: String)
    case duplicateRecordID(id: String, first: String, second: String)
    case invalidArgument(String)
    /// A setting's value that cannot be used (named in words; the CLI names its flag).
    case invalidSetting(InvalidSetting)
    case outputExists(String)
    /// The output directory holds what an interrupted run left (`why` says what is missing).
    case unfinishedOutput(String, why: String)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(path): cannot \(operation): \(String(cString: strerror(code)))"
        case let .unsafeShardPath(manifest, entry, reason):
            return "\(manifest): refused shard path \"\(entry)\": \(reason); a manifest may only name files inside its dataset directory"
        case let .incompatibleMetadata(field, first, firstValue, other, otherValue):
            return "cannot merge: metadata field '\(field)' differs: \(first) has \(firstValue), \(other) has \(otherValue)"
        case let .duplicateRecordID(id, first, second):
            return "cannot merge: record id \"\(id)\" appears in both \(first) and \(second) (was the same capture shard given twice?)"
        case let .invalidArgument(reason):
            return reason
        case let .invalidSetting(refusal):
            return refusal.description
        case let .outputExists(path):
            return "\(path) already exists and is not empty; choose a new output directory"
        case let .unfinishedOutput(path, why):
            return
                "\(path) holds the unfinished output of an interrupted run (\(why)); it cannot be resumed: remove it (rm -r \(path)) and run the command again, or choose a new output directory"
        }
    }
}

extension DatasetOpsError {
    /// A refused value of `setting`.
    static func invalid(_ setting: DatasetSetting, value: String, _ reason: SettingText) -> DatasetOpsError {
        .invalidSetting(InvalidSetting(setting, value: value, reason))
    }

    public var invalidSetting: InvalidSetting? {
        if case let .invalidSetting(refusal) = self { return refusal }
        return nil
    }

    /// Runs one swift-system call (which retries on `EINTR` itself) and turns the `Errno` it throws
    /// into `.io` naming `path` and `operation`.
    static func performing<T>(_ operation: String, on path: String, _ call: () throws -> T) throws -> T {
        do { return try call() } catch let code as Errno {
            throw DatasetOpsError.io(path: path, operation: operation, errno: code.rawValue)
        }
    }
}
