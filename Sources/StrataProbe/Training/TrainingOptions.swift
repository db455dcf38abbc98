/// Hyper-parameters of one training run (stored in checkpoints as provenance).
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var epochs: Int = 10
    /// Examples per optimizer step.
    public var batchSize: Int = 32
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0.01
    /// Fraction of all steps used for linear warm-up.
    public var warmupFraction: Double = 0.05
    /// Global gradient-norm clip (0 = off).
    public var clipNorm: Float = 1.0
    /// Per-class loss weights (nil = all 1); `balanced` computes n / (C · n_c) from the training labels.
    public var classWeights: [Float]?
    /// Validation metric for early stopping and threshold choice.
    public var metric: SelectionMetric = .f1
    /// Binary decision threshold: nil = choose on validation (maximising `metric`), else this value.
    public var fixedThreshold: Float?
    /// Stop after this many epochs without validation improvement (0 = never stop early).
    public var patience: Int = 3
    public var seed: UInt64 = 0
    /// Worker threads (nil = one per core).
    public var workers: Int?

    public init() {}
}
