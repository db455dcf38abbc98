/// How a checkpoint's settings were chosen on validation: every trial that ran, in order, and which
/// one the checkpoint holds (`provenance.tuning`, an optional field within format version 1).
public struct TuningRecord: Codable, Sendable, Equatable {
    /// What was searched, e.g. "logistic regression, C grid on validation (L-BFGS)" or "successive halving".
    public var method: String
    /// The time budget in seconds (`--tune-budget`), when there was one.
    public var budgetSeconds: Double?
    public var trials: [TuningTrial]
    /// Index into `trials` of the model the checkpoint holds.
    public var chosen: Int

    public init(method: String, budgetSeconds: Double? = nil, trials: [TuningTrial], chosen: Int) {
        self.method = method; self.budgetSeconds = budgetSeconds; self.trials = trials; self.chosen = chosen
    }
}

/// One trial of a search.
public struct TuningTrial: Codable, Sendable, Equatable {
    /// The settings that differ between trials, as flag name → value (e.g. "lr": "0.003", "C": "0.1").
    public var settings: [String: String]
    /// Successive-halving rung (0 = first); nil for a plain grid.
    public var rung: Int?
    /// Epochs the trial was given (nil for a closed-form/L-BFGS fit).
    public var epochs: Int?
    public var validationMetric: Double?
    public var validationLoss: Double?
    public var seconds: Double
    /// Free-form detail (e.g. "L-BFGS converged in 37 iterations", "skipped: over budget").
    public var note: String?

    public init(
        settings: [String: String], rung: Int? = nil, epochs: Int? = nil, validationMetric: Double?, validationLoss: Double?,
        seconds: Double, note: String? = nil
    ) {
        self.settings = settings; self.rung = rung; self.epochs = epochs; self.validationMetric = validationMetric
        self.validationLoss = validationLoss; self.seconds = seconds; self.note = note
    }
}
