/// A model's score on a validation split: the report at the threshold chosen there (or the fixed
/// one), the selection metric's value and the mean cross-entropy. Shared by every way of choosing
/// a model on validation (epochs, the logistic regression's C, `--tune` trials).
public struct ValidationScore: Sendable {
    public var report: ClassificationReport
    /// Binary tasks: the decision threshold the report uses.
    public var threshold: Float?
    /// `report.value(of: metric)`.
    public var metric: Double
    /// Mean unweighted −log p(label).
    public var loss: Double?

    /// Scores n × C `probabilities`; binary thresholds are `fixedThreshold` or chosen to maximise `metric`.
    public init(probabilities: [Float], labels: [Int], classes: Int, metric selection: SelectionMetric, fixedThreshold: Float?) {
        threshold =
            classes != 2
            ? nil
            : fixedThreshold
                ?? Metrics.bestThreshold(
                    positiveScores: stride(from: 1, to: probabilities.count, by: 2).map { probabilities[$0] }, labels: labels,
                    metric: selection)
        report = Metrics.report(probabilities: probabilities, labels: labels, classes: classes, threshold: threshold)
        metric = report.value(of: selection)
        loss = EpochRecord.meanCrossEntropy(probabilities: probabilities, labels: labels, classes: classes)
    }

    /// Higher metric wins; equal metrics (within 1e-12) go to the lower loss.
    public func isBetter(than other: ValidationScore) -> Bool {
        if abs(metric - other.metric) > 1e-12 { return metric > other.metric }
        return (loss ?? .infinity) < (other.loss ?? .infinity)
    }
}
