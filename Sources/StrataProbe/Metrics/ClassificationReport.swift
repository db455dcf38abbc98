/// The metrics of one evaluation. For binary tasks precision/recall/f1 are those of class 1 (the
/// positive class) and predictions use `threshold` on P(class 1); for C > 2 they are macro averages
/// and predictions are the argmax. AUROC/AUPRC are one-vs-rest macro averages when C > 2.
public struct ClassificationReport: Codable, Sendable, Equatable {
    public var count: Int
    public var classes: Int
    public var accuracy: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var macroF1: Double
    public var auroc: Double?
    public var auprc: Double?
    /// confusion[true][predicted]
    public var confusion: [[Int]]
    public var threshold: Float?

    /// The value of the metric early stopping and threshold selection use.
    public func value(of metric: SelectionMetric) -> Double {
        switch metric {
        case .f1: return classes == 2 ? f1 : macroF1
        case .accuracy: return accuracy
        }
    }
}

/// The validation metric a run optimises (early stopping, threshold choice).
public enum SelectionMetric: String, Codable, Sendable, CaseIterable {
    case f1, accuracy
}
