/// How a probe's trainable parameters are fitted.
public enum ProbeSolver: String, Codable, Sendable, CaseIterable {
    /// Minibatch AdamW with early stopping (every kind).
    case adamw
    /// Full-batch L2-regularised logistic regression by L-BFGS on pooled features, C chosen on
    /// validation (head-only kinds; `LogisticRegressionSearch`).
    case lbfgs
}

/// The training settings `strata train` uses for a probe kind when the flag is not given. Chosen by
/// the sweep in benchmarks/probes.md ("Per-kind defaults", `benchmarks/probe_sweep.py`); the table is
/// printed by `strata help train` and restated in spec/PROBES.md §3.
public struct ProbeDefaults: Sendable, Equatable {
    public var solver: ProbeSolver
    public var learningRate: Float
    public var epochs: Int
    public var patience: Int
    public var weightDecay: Float
    public var gateScale: Bool
    public var heads: Int
    public var downcast: Int

    /// The defaults of one kind.
    public static func of(_ kind: ProbeKind) -> ProbeDefaults {
        switch kind {
        case .pooling:
            return ProbeDefaults(
                solver: .adamw, learningRate: 5e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                gateScale: false, heads: 4, downcast: 32)
        case .gate:
            return ProbeDefaults(
                solver: .adamw, learningRate: 1e-2, epochs: 10, patience: 3, weightDecay: 0.01,
                gateScale: true, heads: 4, downcast: 32)
        case .mha:
            return ProbeDefaults(
                solver: .adamw, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                gateScale: false, heads: 4, downcast: 32)
        case .lastToken, .meanLast:
            return ProbeDefaults(
                solver: .lbfgs, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                gateScale: false, heads: 4, downcast: 32)
        case .logits:
            return ProbeDefaults(
                solver: .adamw, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                gateScale: false, heads: 4, downcast: 32)
        }
    }
}
