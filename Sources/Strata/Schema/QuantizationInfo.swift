/// Metadata of a lossy dtype (`quantization` in the metadata JSON, spec/FORMAT.md §4): the error
/// bound every vector was encoded within and, when the writer measured it before writing the
/// metadata, the distribution of per-vector relative L2 errors.
public struct QuantizationInfo: Codable, Sendable, Equatable {
    /// "q8".
    public var scheme: String
    /// The bound on each vector's relative L2 error ‖x − x̂‖ / ‖x‖ (the writer's --max-rel-error).
    public var maxRelError: Double
    /// The most outlier channels a vector could keep.
    public var maxOutliers: Int
    /// The measured distribution over every vector of the shard, or nil when not recorded.
    public var relError: QuantizationErrorSummary?

    public init(scheme: String, maxRelError: Double, maxOutliers: Int, relError: QuantizationErrorSummary? = nil) {
        self.scheme = scheme
        self.maxRelError = maxRelError
        self.maxOutliers = maxOutliers
        self.relError = relError
    }

    enum CodingKeys: String, CodingKey {
        case scheme
        case maxRelError = "max_rel_error"
        case maxOutliers = "max_outliers"
        case relError = "rel_error"
    }
}

extension QuantizationInfo {
    /// The default bound on a q8 vector's relative L2 error (1 %; bf16's own rounding is ~0.2 %).
    public static let defaultQ8MaxRelError = 0.01

    /// q8 metadata with the given bound (error figures not yet measured).
    public static func q8(maxRelError: Double = defaultQ8MaxRelError, relError: QuantizationErrorSummary? = nil) -> QuantizationInfo {
        QuantizationInfo(scheme: "q8", maxRelError: maxRelError, maxOutliers: Q8Layout.maxOutliers, relError: relError)
    }
}
