import Foundation
import StrataProbe

/// The trials of a search (`strata train --tune`, the logistic regression's C grid) as a text table.
enum TuningTable {
    /// Column widths: rung, epochs, settings, metric, loss, seconds, note.
    private static let widths = [4, 6, 26, 12, 8, 7, 0]

    /// One trial: rung, epochs, settings, validation metric and loss, seconds, note.
    static func line(_ trial: TuningTrial, metric: SelectionMetric) -> String {
        let settings = trial.settings.keys.sorted().map { "\($0) \(trial.settings[$0]!)" }.joined(separator: ", ")
        let value = trial.validationMetric.map { String(format: "%.4f", $0) } ?? "—"
        let loss = trial.validationLoss.map { String(format: "%.4f", $0) } ?? "—"
        let cells = [
            trial.rung.map(String.init) ?? "—", trial.epochs.map(String.init) ?? "—", settings, value, loss,
            String(format: "%.1f", trial.seconds), trial.note ?? ""
        ]
        return zip(cells, widths).map { $0.padding(toLength: max($0.count, $1), withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    /// Header, one line per trial, and which one the checkpoint holds.
    static func render(_ tuning: TuningRecord, metric: SelectionMetric) -> String {
        var lines = [
            "\(tuning.method)" + (tuning.budgetSeconds.map { String(format: ", budget %.0fs", $0) } ?? ""),
            "  "
                + zip(["rung", "epochs", "settings", "val \(metric.rawValue)", "val loss", "seconds", "note"], widths)
                .map { $0.padding(toLength: max($0.count, $1), withPad: " ", startingAt: 0) }.joined(separator: " ")
        ]
        for (i, trial) in tuning.trials.enumerated() {
            lines.append((i == tuning.chosen ? "* " : "  ") + line(trial, metric: metric))
        }
        lines.append("* = the trial this checkpoint holds")
        return lines.joined(separator: "\n")
    }
}
