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
        case .pooling: return ProbeDefaults(solver: .adamw, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                                            gateScale: false, heads: 4, downcast: 32)
        case .gate: return ProbeDefaults(solver: .adamw, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                                         gateScale: false, heads: 4, downcast: 32)
        case .mha: return ProbeDefaults(solver: .adamw, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                                        gateScale: false, heads: 4, downcast: 32)
        case .lastToken, .meanLast: return ProbeDefaults(solver: .lbfgs, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                                                          gateScale: false, heads: 4, downcast: 32)
        case .logits: return ProbeDefaults(solver: .adamw, learningRate: 1e-3, epochs: 10, patience: 3, weightDecay: 0.01,
                                           gateScale: false, heads: 4, downcast: 32)
        }
    }

    /// One line per kind, for `strata help train`.
    public static var table: String {
        ProbeKind.allCases.map { kind in
            let d = of(kind)
            var parts: [String] = []
            if d.solver == .lbfgs {
                parts.append("--solver lbfgs (logistic regression, C from \(LogisticRegressionSearch.gridDescription) on validation)")
            } else {
                parts.append("--lr \(shortNumber(d.learningRate)) --epochs \(d.epochs) --patience \(d.patience) --weight-decay \(shortNumber(d.weightDecay))")
            }
            if kind == .gate { parts.append(d.gateScale ? "--gate-scale" : "--no-gate-scale") }
            if kind == .mha { parts.append("--heads \(d.heads) --downcast \(d.downcast)") }
            return "  " + kind.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + parts.joined(separator: " ")
        }.joined(separator: "\n")
    }

    private static func shortNumber(_ v: Float) -> String { String(format: "%g", Double(v)) }
}
