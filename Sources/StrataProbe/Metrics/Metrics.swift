/// Computes `ClassificationReport`s and picks decision thresholds.
public enum Metrics {
    /// Predicted class per example: P(class 1) ≥ threshold for binary tasks, argmax otherwise.
    public static func predictions(probabilities p: [Float], classes: Int, threshold: Float?) -> [Int] {
        let n = p.count / classes
        return (0..<n).map { i in
            if classes == 2 { return p[i * 2 + 1] >= (threshold ?? 0.5) ? 1 : 0 }
            var best = 0
            for c in 1..<classes where p[i * classes + c] > p[i * classes + best] { best = c }
            return best
        }
    }

    /// confusion[true][predicted].
    public static func confusion(labels: [Int], predicted: [Int], classes: Int) -> [[Int]] {
        var m = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (y, p) in zip(labels, predicted) where y >= 0 && y < classes && p >= 0 && p < classes { m[y][p] += 1 }
        return m
    }

    /// Precision, recall and F1 of class `c` from a confusion matrix (0 where undefined, as sklearn's zero_division=0).
    public static func precisionRecallF1(_ m: [[Int]], class c: Int) -> (Double, Double, Double) {
        let tp = Double(m[c][c])
        let predicted = Double(m.reduce(0) { $0 + $1[c] }), actual = Double(m[c].reduce(0, +))
        let precision = predicted > 0 ? tp / predicted : 0, recall = actual > 0 ? tp / actual : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return (precision, recall, f1)
    }

    /// Full report for labelled examples (labels < 0 are skipped).
    public static func report(probabilities: [Float], labels: [Int], classes: Int, threshold: Float? = nil) -> ClassificationReport {
        var probs: [Float] = [], ys: [Int] = []
        for (i, y) in labels.enumerated() where y >= 0 {
            ys.append(y)
            probs.append(contentsOf: probabilities[(i * classes)..<((i + 1) * classes)])
        }
        let predicted = predictions(probabilities: probs, classes: classes, threshold: threshold)
        let m = confusion(labels: ys, predicted: predicted, classes: classes)
        let correct = (0..<classes).reduce(0) { $0 + m[$1][$1] }
        let perClass = (0..<classes).map { precisionRecallF1(m, class: $0) }
        let macroF1 = perClass.map(\.2).reduce(0, +) / Double(classes)
        let (precision, recall, f1): (Double, Double, Double) =
            classes == 2
            ? perClass[1]
            : (perClass.map(\.0).reduce(0, +) / Double(classes), perClass.map(\.1).reduce(0, +) / Double(classes), macroF1)
        var aurocs: [Double] = [], auprcs: [Double] = []
        for c in (classes == 2 ? [1] : Array(0..<classes)) {
            let scores = (0..<ys.count).map { probs[$0 * classes + c] }
            let positives = ys.map { $0 == c }
            if let a = RankingMetrics.auroc(scores: scores, positives: positives) { aurocs.append(a) }
            if let a = RankingMetrics.averagePrecision(scores: scores, positives: positives) { auprcs.append(a) }
        }
        return ClassificationReport(
            count: ys.count, classes: classes, accuracy: ys.isEmpty ? 0 : Double(correct) / Double(ys.count),
            precision: precision, recall: recall, f1: f1, macroF1: macroF1,
            auroc: aurocs.isEmpty ? nil : aurocs.reduce(0, +) / Double(aurocs.count),
            auprc: auprcs.isEmpty ? nil : auprcs.reduce(0, +) / Double(auprcs.count),
            confusion: m, threshold: classes == 2 ? (threshold ?? 0.5) : nil)
    }

    /// The threshold on P(class 1) that maximises `metric` on these (validation) examples:
    /// the midpoint between the lowest score predicted positive and the next lower score.
    /// Ties in the metric keep the candidate closest to 0.5. Returns 0.5 without labelled data.
    public static func bestThreshold(positiveScores s: [Float], labels: [Int], metric: SelectionMetric) -> Float {
        let idx = labels.indices.filter { labels[$0] >= 0 }
        guard !idx.isEmpty else { return 0.5 }
        let order = idx.sorted { s[$0] > s[$1] }
        let pos = order.filter { labels[$0] == 1 }.count, n = order.count
        var tp = 0, fp = 0
        // predicting nothing positive
        var best = value(tp: 0, fp: 0, pos: pos, n: n, metric: metric)
        var bestThreshold = s[order[0]] + 1e-6
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && s[order[j + 1]] == s[order[i]] { j += 1 }
            for k in i...j { if labels[order[k]] == 1 { tp += 1 } else { fp += 1 } }
            let next = j + 1 < n ? s[order[j + 1]] : s[order[j]] - 1e-6
            let t = (s[order[j]] + next) / 2
            let v = value(tp: tp, fp: fp, pos: pos, n: n, metric: metric)
            if v > best + 1e-12 || (abs(v - best) <= 1e-12 && abs(t - 0.5) < abs(bestThreshold - 0.5)) {
                best = v; bestThreshold = t
            }
            i = j + 1
        }
        return bestThreshold
    }

    private static func value(tp: Int, fp: Int, pos: Int, n: Int, metric: SelectionMetric) -> Double {
        switch metric {
        case .accuracy:
            let tn = (n - pos) - fp
            return Double(tp + tn) / Double(n)
        case .f1:
            let denominator = 2 * tp + fp + (pos - tp)
            return denominator > 0 ? Double(2 * tp) / Double(denominator) : 0
        }
    }
}
