import Foundation

/// One progress report (after every optimizer step, and at the end of each epoch).
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var step: Int
    public var totalSteps: Int
    /// Mean training loss over this epoch so far.
    public var loss: Double
    /// Training examples per second over this epoch so far.
    public var examplesPerSecond: Double
    public var learningRate: Float
    /// Validation metric at the end of an epoch (nil during the epoch or without validation).
    public var validationMetric: Double?
    public var isEpochEnd: Bool
}

/// What a finished run returns.
public struct TrainingResult: Sendable {
    public var epochsRun: Int
    public var bestEpoch: Int
    public var steps: Int
    public var validation: ClassificationReport?
    /// Decision threshold for binary tasks (chosen on validation; 0.5 without).
    public var threshold: Float?
    /// Validation metric per epoch.
    public var history: [Double]
}

/// Everything an evaluation pass produces.
public struct EvaluationOutput: Sendable {
    public var ids: [String]
    public var labels: [Int]
    /// N × C class probabilities.
    public var probabilities: [Float]
    public var classes: Int
    /// N × L gate layer weights (gate probes only).
    public var layerWeights: [Float]?
    public var layers: Int
}

/// Trains a probe with AdamW, cosine schedule with warm-up, clipping, optional class weights and
/// early stopping on a validation metric (the best epoch's parameters are kept).
public final class Trainer {
    public let probe: Probe
    public let options: TrainingOptions

    public init(probe: Probe, options: TrainingOptions) {
        self.probe = probe
        self.options = options
    }

    /// Class weights n / (C · n_c) from training labels ("balanced"), 1 for absent classes.
    public static func balancedWeights(labels: [Int], classes: Int) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for y in labels where y >= 0 && y < classes { counts[y] += 1 }
        let n = counts.reduce(0, +)
        return counts.map { $0 > 0 ? Float(n) / Float(classes * $0) : 1 }
    }

    public func fit(
        train: BatchSource, validation: BatchSource?, progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingResult {
        let batchSize = max(1, options.batchSize)
        let stepsPerEpoch = (train.count + batchSize - 1) / batchSize
        let totalSteps = max(1, stepsPerEpoch * options.epochs)
        let schedule = CosineSchedule(
            peak: options.learningRate, warmupSteps: Int((Double(totalSteps) * options.warmupFraction).rounded()), totalSteps: totalSteps)
        var optimizer = AdamW(layout: probe.layout, weightDecay: options.weightDecay)
        var gradients = [Float](repeating: 0, count: probe.parameterCount)
        var step = 0, bestEpoch = 0, bestValue = -Double.infinity, sinceBest = 0, epochsRun = 0
        var bestParameters = probe.parameters, bestReport: ClassificationReport?, bestThreshold: Float?
        var history: [Double] = []
        let binary = probe.configuration.classes == 2

        for epoch in 1...max(1, options.epochs) {
            epochsRun = epoch
            let stream = try train.makeStream(epoch: epoch, shuffle: true, seed: options.seed, batchSize: batchSize)
            defer { stream.close() }
            let started = Date()
            var lossSum = 0.0, weightSum = 0.0, stepLoss = 0.0, stepWeight = 0.0, examples = 0
            while let chunk = try stream.next() {
                let r = try probe.accumulateGradients(
                    batch: chunk, classWeights: options.classWeights, gradients: &gradients, workers: options.workers)
                stepLoss += r.loss; stepWeight += r.weight; examples += chunk.count
                if chunk.endsStep {
                    if stepWeight > 0 {
                        let scale = Float(1 / stepWeight)
                        for j in 0..<gradients.count { gradients[j] *= scale }
                        clipGradientNorm(&gradients, maxNorm: options.clipNorm)
                        let lr = schedule.rate(at: step)
                        optimizer.update(parameters: &probe.parameters, gradients: gradients, learningRate: lr)
                    }
                    for j in 0..<gradients.count { gradients[j] = 0 }
                    step += 1
                    lossSum += stepLoss; weightSum += stepWeight; stepLoss = 0; stepWeight = 0
                    let elapsed = max(1e-9, Date().timeIntervalSince(started))
                    progress(TrainingProgress(
                        epoch: epoch, step: step, totalSteps: totalSteps, loss: weightSum > 0 ? lossSum / weightSum : 0,
                        examplesPerSecond: Double(examples) / elapsed, learningRate: schedule.rate(at: max(0, step - 1)),
                        validationMetric: nil, isEpochEnd: false))
                }
            }
            let elapsed = max(1e-9, Date().timeIntervalSince(started))
            var metricValue: Double?
            if let validation {
                let out = try Self.evaluate(probe: probe, source: validation, workers: options.workers)
                let threshold: Float? = !binary ? nil : options.fixedThreshold ??
                    Metrics.bestThreshold(positiveScores: stride(from: 1, to: out.probabilities.count, by: 2).map { out.probabilities[$0] },
                                            labels: out.labels, metric: options.metric)
                let report = Metrics.report(probabilities: out.probabilities, labels: out.labels, classes: out.classes, threshold: threshold)
                let value = report.value(of: options.metric)
                metricValue = value
                history.append(value)
                if value > bestValue {
                    bestValue = value; bestEpoch = epoch; bestParameters = probe.parameters
                    bestReport = report; bestThreshold = threshold; sinceBest = 0
                } else {
                    sinceBest += 1
                }
            } else {
                bestEpoch = epoch; bestParameters = probe.parameters
            }
            progress(TrainingProgress(
                epoch: epoch, step: step, totalSteps: totalSteps, loss: weightSum > 0 ? lossSum / weightSum : 0,
                examplesPerSecond: Double(examples) / elapsed, learningRate: schedule.rate(at: max(0, step - 1)),
                validationMetric: metricValue, isEpochEnd: true))
            if options.patience > 0 && sinceBest >= options.patience { break }
        }
        probe.parameters = bestParameters
        return TrainingResult(
            epochsRun: epochsRun, bestEpoch: bestEpoch, steps: step, validation: bestReport,
            threshold: binary ? (bestThreshold ?? options.fixedThreshold ?? 0.5) : nil, history: history)
    }

    /// Runs the probe over every record of `source` in order.
    public static func evaluate(probe: Probe, source: BatchSource, batchSize: Int = 64, workers: Int? = nil) throws -> EvaluationOutput {
        let stream = try source.makeStream(epoch: 0, shuffle: false, seed: 0, batchSize: batchSize)
        defer { stream.close() }
        var out = EvaluationOutput(ids: [], labels: [], probabilities: [], classes: probe.configuration.classes,
                                   layerWeights: probe.hasLayerWeights ? [] : nil, layers: probe.configuration.layers.count)
        while let batch = try stream.next() {
            let p = try probe.predict(batch: batch, workers: workers)
            out.ids += batch.ids
            out.labels += batch.labels
            out.probabilities += p.probabilities
            if let w = p.layerWeights { out.layerWeights! += w }
        }
        return out
    }
}
