import StrataUtilities

/// The settings of token generation (`SamplingOptions`), named in words for `InvalidSetting` (the CLI maps
/// each to its flag).
public enum GenerationSetting: String, LibrarySetting {
    case temperature = "temperature"
    case topK = "top-k"
}
