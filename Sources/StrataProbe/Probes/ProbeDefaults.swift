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

    /// One line per kind, for `strata help train` (fits 80 columns).
    public static var table: String {
        func cell(_ text: String, _ width: Int) -> String {
            text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
        }
        var lines = [
            cell("kind", 11) + cell("solver", 7) + cell("lr", 7) + cell("epochs", 7) + cell("patience", 9) + cell("w.decay", 8) + "other"
        ]
        for kind in ProbeKind.allCases {
            let d = of(kind)
            if d.solver == .lbfgs {
                lines.append(cell(kind.rawValue, 11) + cell("lbfgs", 7) + "C in \(LogisticRegressionSearch.gridDescription), on validation")
                continue
            }
            let other =
                kind == .gate
                ? (d.gateScale ? "--gate-scale" : "--no-gate-scale")
                : kind == .mha ? "--heads \(d.heads) --downcast \(d.downcast)" : ""
            lines.append(
                cell(kind.rawValue, 11) + cell(d.solver.rawValue, 7) + cell(shortNumber(d.learningRate), 7) + cell("\(d.epochs)", 7)
                    + cell("\(d.patience)", 9) + cell(shortNumber(d.weightDecay), 8) + other)
        }
        return lines.map { "  " + String($0.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n")
    }

    private static func shortNumber(_ v: Float) -> String { String(format: "%g", Double(v)) }
}
