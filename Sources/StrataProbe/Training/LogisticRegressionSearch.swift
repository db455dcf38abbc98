import Foundation
import StrataUtilities

/// Trains a head-only probe's linear head as an L2-regularised logistic regression (`--solver lbfgs`):
/// one L-BFGS fit per C of a grid, from the strongest regularisation up (each fit warm-starts the
/// next), each scored on the validation split; the best (`ValidationScore.isBetter`, then the smaller C)
/// becomes the probe's head. Without validation the grid's value nearest 1 (scikit-learn's default) is used.
public enum LogisticRegressionSearch {
    /// scikit-learn's C: 1e-3 … 1e3 in half-decade steps.
    public static let defaultGrid: [Double] = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000]
    public static let gridDescription = "1e-3…1e3 (half-decades)"
    public static let method = "logistic regression (L2, L-BFGS), C chosen on validation"

    public struct Outcome: Sendable {
        public var result: TrainingResult
        public var tuning: TuningRecord
        /// The chosen C.
        public var inverseRegularization: Double
    }

    /// Fits `probe`'s head on `train`'s feature vectors and writes it into `probe.parameters`.
    /// - Throws: `ProbeError.invalidSetting` for a probe with parameters below its head, an empty or
    ///   non-positive grid, or a training split without labelled records.
    public static func fit(
        probe: Probe, train: some PooledFeatures, validation: (any PooledFeatures)?, grid: [Double], options: TrainingOptions,
        progress: (TuningTrial) -> Void = { _ in }
    ) throws -> Outcome {
        guard probe.isHeadOnly else {
            throw ProbeError.invalid(
                .solver, value: "lbfgs",
                "only probes that train just a linear head (pooling, last-token, mean-last, logits) can be fitted as a logistic regression"
            )
        }
        guard !grid.isEmpty, grid.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ProbeError.invalid(
                .regularizationGrid, value: grid.map { "\($0)" }.joined(separator: ","),
                "needs one or more positive numbers")
        }
        let classes = probe.configuration.classes
        let keep = train.labels.indices.filter { (0..<classes).contains(train.labels[$0]) }
        guard !keep.isEmpty else {
            throw ProbeError.invalid(
                .trainingRecords, value: "\(train.labels.count) records", "no labelled records to fit")
        }
        let x = FeatureMatrix(features: train.features, width: train.width, keep: keep)
        let y = keep.map { train.labels[$0] }
        let sampleWeights = y.map { Double(options.classWeights?[$0] ?? 1) }
        let validationLabels = validation?.labels ?? []
        let xValidation = validation.map { FeatureMatrix(features: $0.features, width: $0.width, keep: Array($0.labels.indices)) }
        let hasValidation = validationLabels.contains { (0..<classes).contains($0) }
        let searched = hasValidation ? grid.sorted() : [grid.min { abs(log($0)) < abs(log($1)) }!]

        let searchStarted = Date()
        var trials: [TuningTrial] = []
        var best: (index: Int, fit: LogisticRegression.Fit, score: ValidationScore?, c: Double)?
        var previous: LogisticRegression?
        for c in searched {
            let started = Date()
            let fit = LogisticRegression.fit(
                features: x, labels: y, sampleWeights: sampleWeights, classes: classes,
                inverseRegularization: c, start: previous)
            previous = fit.model
            let score = xValidation.flatMap { xv in
                hasValidation
                    ? ValidationScore(
                        probabilities: fit.model.probabilities(xv), labels: validationLabels, classes: classes,
                        metric: options.metric, fixedThreshold: options.fixedThreshold) : nil
            }
            let trial = TuningTrial(
                settings: ["C": format(c)], validationMetric: score?.metric, validationLoss: score?.loss,
                seconds: Date().timeIntervalSince(started),
                note: "L-BFGS \(fit.converged ? "converged" : "stopped") after \(fit.iterations) iterations")
            trials.append(trial)
            progress(trial)
            if best == nil || (score != nil && best!.score.map { score!.isBetter(than: $0) } ?? true) {
                best = (trials.count - 1, fit, score, c)
            }
        }
        let chosen = best!
        write(chosen.fit.model, into: probe)
        let threshold: Float? = classes == 2 ? (chosen.score?.threshold ?? options.fixedThreshold ?? 0.5) : nil
        // One full-batch fit is the run's one "epoch" of the training log (spec/PROBES.md §3).
        let trainProbabilities = chosen.fit.model.probabilities(x)
        let predictedClasses = classes
        var weightedLoss = 0.0
        for (i, label) in y.enumerated() {
            weightedLoss -= sampleWeights[i] * log(max(Double(trainProbabilities[i * predictedClasses + label]), 1e-12))
        }
        let seconds = Date().timeIntervalSince(searchStarted)
        let record = EpochRecord(
            epoch: 1, step: chosen.fit.iterations, trainLoss: weightedLoss / max(sampleWeights.reduce(0, +), .leastNormalMagnitude),
            valMetric: chosen.score?.metric, valLoss: chosen.score?.loss,
            examplesPerSecond: Double(y.count * searched.count) / max(seconds, 1e-9), seconds: seconds)
        let result = TrainingResult(
            epochsRun: 1, bestEpoch: 1, steps: chosen.fit.iterations, validation: chosen.score?.report, threshold: threshold,
            history: chosen.score.map { [$0.metric] } ?? [], epochs: [record])
        return Outcome(
            result: result, tuning: TuningRecord(method: method, trials: trials, chosen: chosen.index),
            inverseRegularization: chosen.c)
    }

    /// Copies the regression's weights and bias into the probe's `head.weight` and `head.bias`.
    static func write(_ model: LogisticRegression, into probe: Probe) {
        guard let w = probe.layout.entries.first(where: { $0.name == "head.weight" }),
            let b = probe.layout.entries.first(where: { $0.name == "head.bias" })
        else { return }
        for j in 0..<w.count { probe.parameters[w.offset + j] = Float(model.weights[j]) }
        for j in 0..<b.count { probe.parameters[b.offset + j] = Float(model.bias[j]) }
    }

    static func format(_ c: Double) -> String { String(format: "%g", c) }
}

/// Head inputs held in memory: count × width f32 vectors and one label per vector (−1 = unlabelled).
public protocol PooledFeatures {
    var features: [Float] { get }
    var labels: [Int] { get }
    var width: Int { get }
}

extension PooledFeatureSource: PooledFeatures {}

/// Feature vectors given directly (tests, other callers).
public struct FeatureSet: PooledFeatures, Sendable {
    public var features: [Float]
    public var labels: [Int]
    public var width: Int

    public init(features: [Float], labels: [Int], width: Int) {
        precondition(features.count == labels.count * width, "FeatureSet: \(features.count) values for \(labels.count) × \(width)")
        self.features = features; self.labels = labels; self.width = width
    }
}
