import StrataUtilities

/// The settings of a capture (`CaptureOptions`, `CaptureShard`, `LayerSelection`), named in words for
/// `InvalidSetting` (the CLI maps each to its flag).
public enum CaptureSetting: String, LibrarySetting {
    case layers = "layers"
    case maxTokens = "max tokens"
    case truncate = "truncation"
    case batchTokens = "batch tokens"
    case maxRowBytes = "max row bytes"
    case zstdLevel = "zstd level"
    case partSize = "part size"
    case checkpointInterval = "checkpoint interval"
    case labelNames = "label names"
    case systemMessage = "system message"
    case chatTemplate = "chat template"
    case workers = "workers"
    case threads = "threads"
    case shard = "shard"
    case outputDirectory = "output directory"
}
