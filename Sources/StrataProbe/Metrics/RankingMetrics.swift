/// Threshold-free metrics of a score's ranking of positives above negatives.
public enum RankingMetrics {
    /// Area under the ROC curve (Mann–Whitney U with average ranks for ties, which equals the
    /// trapezoidal ROC area). nil when only one class is present.
    public static func auroc(scores: [Float], positives: [Bool]) -> Double? {
        let n = scores.count
        let pos = positives.filter { $0 }.count, neg = n - pos
        guard pos > 0, neg > 0 else { return nil }
        let order = (0..<n).sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where positives[order[k]] { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// Area under the precision–recall curve as average precision: Σ_k (R_k − R_{k−1}) · P_k over
    /// the distinct score thresholds, highest first (scikit-learn's `average_precision_score`).
    /// nil when there is no positive.
    public static func averagePrecision(scores: [Float], positives: [Bool]) -> Double? {
        let n = scores.count
        let pos = positives.filter { $0 }.count
        guard pos > 0 else { return nil }
        let order = (0..<n).sorted { scores[$0] > scores[$1] }
        var tp = 0, fp = 0, previousRecall = 0.0, ap = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for k in i...j { if positives[order[k]] { tp += 1 } else { fp += 1 } }
            let recall = Double(tp) / Double(pos), precision = Double(tp) / Double(tp + fp)
            ap += (recall - previousRecall) * precision
            previousRecall = recall
            i = j + 1
        }
        return ap
    }
}
