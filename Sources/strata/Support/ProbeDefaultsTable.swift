import Foundation
import StrataProbe

extension ProbeDefaults {
    /// One line per kind, for `strata help train` (fits 80 columns), structural switches as the flags that set them.
    static var helpTable: String {
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
