import StrataProbe
import Testing

@Test func rankingMetricsOnHandComputedCases() {
    // The classic 4-point case: 3 of 4 positive/negative pairs ordered correctly.
    let s: [Float] = [0.1, 0.4, 0.35, 0.8], y = [false, false, true, true]
    #expect(abs(RankingMetrics.auroc(scores: s, positives: y)! - 0.75) < 1e-12)
    // Thresholds 0.8 (P=1,R=.5), 0.4 (P=.5,R=.5), 0.35 (P=2/3,R=1): AP = .5·1 + 0 + .5·2/3
    #expect(abs(RankingMetrics.averagePrecision(scores: s, positives: y)! - (0.5 + 1.0 / 3)) < 1e-12)
    // all tied: AUROC 0.5, AP = prevalence
    #expect(RankingMetrics.auroc(scores: [0.3, 0.3, 0.3], positives: [true, false, false]) == 0.5)
    #expect(abs(RankingMetrics.averagePrecision(scores: [0.3, 0.3, 0.3], positives: [true, false, false])! - 1.0 / 3) < 1e-12)
    #expect(RankingMetrics.auroc(scores: [0.1, 0.2], positives: [true, true]) == nil)
}

@Test func binaryReportMatchesScikitLearn() {
    let probs = Reference.binaryScores.flatMap { [1 - $0, $0] }
    let r = Metrics.report(probabilities: probs, labels: Reference.binaryLabels, classes: 2, threshold: 0.5)
    #expect(abs(r.accuracy - Reference.binaryAccuracy) < 1e-12)
    #expect(abs(r.precision - Reference.binaryPrecision) < 1e-12)
    #expect(abs(r.recall - Reference.binaryRecall) < 1e-12)
    #expect(abs(r.f1 - Reference.binaryF1) < 1e-12)
    #expect(abs(r.macroF1 - Reference.binaryMacroF1) < 1e-12)
    #expect(r.confusion == Reference.binaryConfusion)
    // AUROC/AUPRC are computed on P(class 1) = 1 − (1 − s) in f32, which keeps the ties intact.
    #expect(abs(r.auroc! - Reference.binaryAUROC) < 1e-9)
    #expect(abs(r.auprc! - Reference.binaryAUPRC) < 1e-9)
}

@Test func multiclassReportMatchesScikitLearn() {
    let r = Metrics.report(probabilities: Reference.multiProbabilities, labels: Reference.multiLabels, classes: 3)
    #expect(abs(r.accuracy - Reference.multiAccuracy) < 1e-12)
    #expect(abs(r.precision - Reference.multiMacroPrecision) < 1e-12)
    #expect(abs(r.recall - Reference.multiMacroRecall) < 1e-12)
    #expect(abs(r.macroF1 - Reference.multiMacroF1) < 1e-12)
    #expect(abs(r.auroc! - Reference.multiAUROC) < 1e-9)
    #expect(abs(r.auprc! - Reference.multiAUPRC) < 1e-9)
    #expect(r.confusion.flatMap { $0 }.reduce(0, +) == Reference.multiLabels.count)
}

@Test func thresholdSelectionSeparatesAndMaximisesTheMetric() {
    let t = Metrics.bestThreshold(positiveScores: [0.1, 0.2, 0.7, 0.9], labels: [0, 0, 1, 1], metric: .f1)
    #expect(abs(t - 0.45) < 1e-6)
    // On the sklearn case, no other cut gives a better F1 than the chosen one.
    let s = Reference.binaryScores, y = Reference.binaryLabels
    let chosen = Metrics.bestThreshold(positiveScores: s, labels: y, metric: .f1)
    func f1(_ th: Float) -> Double {
        Metrics.report(probabilities: s.flatMap { [1 - $0, $0] }, labels: y, classes: 2, threshold: th).f1
    }
    let best = f1(chosen)
    for cut in stride(from: Float(-0.05), through: 1.05, by: 0.05) { #expect(f1(cut) <= best + 1e-12) }
}
