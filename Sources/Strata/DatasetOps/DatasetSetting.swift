import StrataUtilities

/// The settings of dataset operations (re-shard, split, convert, merge), named in words for `InvalidSetting`
/// (the CLI maps each to its flag).
public enum DatasetSetting: String, LibrarySetting {
    case recordsPerShard = "records per shard"
    case shardSize = "shard size"
    case splitParts = "split parts"
    case stratify = "stratification"
    case maxRelativeError = "max relative error"
    case append = "append"
}
