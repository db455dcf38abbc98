/// Where a probe came from: data, layers, options and the metrics it reached.
public struct TrainingProvenance: Codable, Sendable, Equatable {
    /// Training dataset path as given.
    public var dataset: String
    /// Validation dataset path, or a description of the held-out fraction.
    public var validation: String?
    /// Model the states came from (name and file sha256 when the dataset records them).
    public var model: String?
    public var modelSHA256: String?
    /// Model hidden-state indices of the layers the probe reads (0 = embeddings).
    public var layerIndices: [Int]
    public var trainRecords: Int
    public var validationRecords: Int
    public var options: TrainingOptions
    public var epochsRun: Int
    public var bestEpoch: Int
    public var steps: Int
    public var validationMetrics: ClassificationReport?
    /// ISO 8601 UTC.
    public var created: String
    public var toolVersion: String
    /// Per-epoch training curve (optional field, added within format version 1).
    public var history: [EpochRecord]? = nil
    /// Chat template the training texts were wrapped in (`none` = raw texts; absent = unknown), and its
    /// system message (optional fields, added within format version 1; see `promptFormat`).
    public var chatTemplate: String? = nil
    public var chatSystem: String? = nil
    /// How the settings were chosen on validation (the logistic regression's C grid, `--tune`'s trials);
    /// optional field added within format version 1.
    public var tuning: TuningRecord? = nil

    public init(
        dataset: String, validation: String?, model: String?, modelSHA256: String?, layerIndices: [Int],
        trainRecords: Int, validationRecords: Int, options: TrainingOptions, epochsRun: Int, bestEpoch: Int,
        steps: Int, validationMetrics: ClassificationReport?, created: String, toolVersion: String
    ) {
        self.dataset = dataset; self.validation = validation; self.model = model; self.modelSHA256 = modelSHA256
        self.layerIndices = layerIndices; self.trainRecords = trainRecords; self.validationRecords = validationRecords
        self.options = options; self.epochsRun = epochsRun; self.bestEpoch = bestEpoch; self.steps = steps
        self.validationMetrics = validationMetrics; self.created = created; self.toolVersion = toolVersion
    }
}
