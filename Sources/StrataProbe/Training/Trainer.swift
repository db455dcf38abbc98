import Foundation
import Strata
import StrataUtilities

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
    /// The finished epoch's summary (at epoch ends only).
    public var epochRecord: EpochRecord? = nil
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
    /// Per-epoch summaries (what `strata train --log` writes).
    public var epochs: [EpochRecord] = []
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
    /// The data-parallel ranks this trainer runs with (one process by default). With more than
    /// one, `train` must be a `ResumableBatchSource` partitioned over the same world; each step's
    /// gradient sums, loss and example weights are summed across ranks before the update, so every
    /// rank takes the step the single process would take on the union of their slices, and each
    /// validation pass's outputs are gathered from every rank's share before metrics are computed.
    public var communicator: TrainingCommunicator = SingleProcessCommunicator()

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

    /// Trains on `train`, selecting the best epoch on `validation`.
    ///
    /// - Parameters:
    ///   - checkpoints: where and how often to save a `TrainingState` (nil = never). Mid-epoch
    ///     saves need a `ResumableBatchSource`; other sources are saved at epoch ends only.
    ///   - resume: a state saved by an earlier run with the same configuration and options; the
    ///     run continues from it and ends with the same parameters, bit for bit, as a run that
    ///     was never interrupted. Consumed: its arrays become the trainer's (pass it with `take()`
    ///     so that the caller keeps no second copy alive while training).
    public func fit(
        train: BatchSource, validation: BatchSource?, checkpoints: StateCheckpointPolicy? = nil, resume: consuming TrainingState? = nil,
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingResult {
        let batchSize = max(1, options.batchSize)
        let perEpoch = (train as? ResumableBatchSource)?.recordsPerEpoch ?? train.count
        var gradientReduction = try GradientReduction(communicator: communicator, train: train, parameterCount: probe.parameterCount)
        let stepsPerEpoch = (perEpoch + batchSize - 1) / batchSize
        let totalSteps = max(1, stepsPerEpoch * options.epochs)
        let schedule = CosineSchedule(
            peak: options.learningRate, warmupSteps: Int((Double(totalSteps) * options.warmupFraction).rounded()), totalSteps: totalSteps)
        var optimizer = AdamW(layout: probe.layout, weightDecay: options.weightDecay)
        var gradients = [Float](repeating: 0, count: probe.parameterCount)
        var step = 0, bestEpoch = 0, bestValue: Double?, sinceBest = 0, epochsRun = 0, firstEpoch = 1
        var bestParameters = probe.parameters, bestReport: ClassificationReport?, bestThreshold: Float?
        var history: [Double] = []
        var epochRecords: [EpochRecord] = []
        var resumeStream: StreamState?
        var carried = (loss: 0.0, weight: 0.0, examples: 0, seconds: 0.0)
        let binary = probe.configuration.classes == 2

        if let state = resume.take() {
            try checkResumable(state, recordsPerEpoch: perEpoch)
            let n = probe.parameterCount
            guard [state.parameters, state.bestParameters, state.adamFirst, state.adamSecond].allSatisfy({ $0.count == n }) else {
                throw ProbeError.invalid(
                    .resumedState, value: "state", "the saved arrays do not hold \(n) parameters each")
            }
            probe.parameters = state.parameters.values
            try optimizer.restore(step: state.adamStep, first: state.adamFirst.values, second: state.adamSecond.values)
            step = state.step; firstEpoch = state.epoch; epochsRun = state.epoch - 1
            bestEpoch = state.bestEpoch; bestValue = state.bestValue; sinceBest = state.sinceBest;
            bestParameters = state.bestParameters.values
            bestReport = state.bestReport; bestThreshold = state.bestThreshold; history = state.history; epochRecords = state.epochs
            resumeStream = state.stream
            if state.stream != nil {
                carried = (state.epochLossSum, state.epochWeightSum, state.epochExamples, state.epochTrainSeconds)
            }
        }
        var lastSave = Date()
        func makeState(epoch: Int, stream: StreamState?, lossSum: Double, weightSum: Double, examples: Int, seconds: Double)
            -> TrainingState
        {
            let moments = optimizer.moments
            return TrainingState(
                configuration: probe.configuration, options: options, recordsPerEpoch: perEpoch,
                parameters: PackedFloats(probe.parameters), adamFirst: PackedFloats(moments.first),
                adamSecond: PackedFloats(moments.second), adamStep: optimizer.step, step: step, epoch: epoch, stream: stream,
                epochLossSum: lossSum, epochWeightSum: weightSum, epochExamples: examples, epochTrainSeconds: seconds,
                bestEpoch: bestEpoch, bestValue: bestValue, sinceBest: sinceBest, bestParameters: PackedFloats(bestParameters),
                bestReport: bestReport, bestThreshold: bestThreshold, history: history, epochs: epochRecords)
        }

        var epoch = firstEpoch
        while epoch <= max(1, options.epochs) {
            if options.patience > 0 && sinceBest >= options.patience { break }
            epochsRun = epoch
            let stream: BatchStream
            if let resumable = train as? ResumableBatchSource {
                stream = try resumable.makeResumableStream(
                    epoch: epoch, shuffle: true, seed: options.seed, batchSize: batchSize, resume: resumeStream)
            } else {
                stream = try train.makeStream(epoch: epoch, shuffle: true, seed: options.seed, batchSize: batchSize)
            }
            resumeStream = nil
            defer { stream.close() }
            let started = Date()
            var lossSum = carried.loss, weightSum = carried.weight, stepLoss = 0.0, stepWeight = 0.0, examples = carried.examples,
                stepExamples = 0
            let secondsBefore = carried.seconds
            carried = (0, 0, 0, 0)
            while let chunk = try stream.next() {
                if chunk.count > 0 {
                    let r = try probe.accumulateGradients(
                        batch: chunk, classWeights: options.classWeights, gradients: &gradients, workers: options.workers)
                    stepLoss += r.loss; stepWeight += r.weight; stepExamples += chunk.count
                }
                if chunk.endsStep {
                    try gradientReduction.sum(gradients: &gradients, loss: &stepLoss, weight: &stepWeight, examples: &stepExamples)
                    examples += stepExamples; stepExamples = 0
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
                    let elapsed = max(1e-9, secondsBefore + Date().timeIntervalSince(started))
                    if let checkpoints, let resumable = stream as? ResumableBatchStream,
                        (checkpoints.everySteps > 0 && step % checkpoints.everySteps == 0)
                            || (checkpoints.everySeconds > 0 && Date().timeIntervalSince(lastSave) >= checkpoints.everySeconds)
                    {
                        try makeState(
                            epoch: epoch, stream: resumable.state, lossSum: lossSum, weightSum: weightSum,
                            examples: examples, seconds: elapsed
                        ).save(to: checkpoints.path)
                        lastSave = Date()
                    }
                    progress(
                        TrainingProgress(
                            epoch: epoch, step: step, totalSteps: totalSteps, loss: weightSum > 0 ? lossSum / weightSum : 0,
                            examplesPerSecond: Double(examples) / elapsed, learningRate: schedule.rate(at: max(0, step - 1)),
                            validationMetric: nil, isEpochEnd: false))
                }
            }
            AllocatorTuning.releaseFreeMemory() // the training pass's chunks and records are gone; validation's differ in size
            let trainSeconds = max(1e-9, secondsBefore + Date().timeIntervalSince(started))
            var metricValue: Double?, validationLoss: Double?
            if let validation {
                let out = try communicator.gather(Self.evaluate(probe: probe, source: validation, workers: options.workers))
                let score = ValidationScore(
                    probabilities: out.probabilities, labels: out.labels, classes: out.classes,
                    metric: options.metric, fixedThreshold: options.fixedThreshold)
                validationLoss = score.loss
                let report = score.report, threshold = score.threshold, value = score.metric
                metricValue = value
                history.append(value)
                if bestValue.map({ value > $0 }) ?? true {
                    bestValue = value; bestEpoch = epoch; bestParameters = probe.parameters
                    bestReport = report; bestThreshold = threshold; sinceBest = 0
                } else {
                    sinceBest += 1
                }
                AllocatorTuning.releaseFreeMemory()
            } else {
                bestEpoch = epoch; bestParameters = probe.parameters
            }
            let record = EpochRecord(
                epoch: epoch, step: step, trainLoss: weightSum > 0 ? lossSum / weightSum : 0, valMetric: metricValue,
                valLoss: validationLoss, examplesPerSecond: Double(examples) / trainSeconds,
                seconds: secondsBefore + Date().timeIntervalSince(started))
            epochRecords.append(record)
            progress(
                TrainingProgress(
                    epoch: epoch, step: step, totalSteps: totalSteps, loss: record.trainLoss,
                    examplesPerSecond: record.examplesPerSecond, learningRate: schedule.rate(at: max(0, step - 1)),
                    validationMetric: metricValue, isEpochEnd: true, epochRecord: record))
            epoch += 1
            if let checkpoints {
                try makeState(epoch: epoch, stream: nil, lossSum: 0, weightSum: 0, examples: 0, seconds: 0).save(to: checkpoints.path)
                lastSave = Date()
            }
        }
        probe.parameters = bestParameters
        return TrainingResult(
            epochsRun: epochsRun, bestEpoch: bestEpoch, steps: step, validation: bestReport,
            threshold: binary ? (bestThreshold ?? options.fixedThreshold ?? 0.5) : nil, history: history,
            epochs: epochRecords)
    }

    /// Checks that `state` was saved by a run of this probe configuration, these options and
    /// this many records per epoch.
    private func checkResumable(_ state: TrainingState, recordsPerEpoch: Int) throws {
        guard state.configuration == probe.configuration else {
            throw ProbeError.invalid(
                .resumedState, value: "state", "the saved run trained a different probe configuration")
        }
        guard state.options == options else {
            throw ProbeError.invalid(
                .resumedState, value: "state",
                "the saved run used different training options (epochs, batch size, learning rate, seed, ...): resume with the same options"
            )
        }
        guard state.recordsPerEpoch == recordsPerEpoch else {
            throw ProbeError.invalid(
                .resumedState, value: "state",
                "the saved run read \(state.recordsPerEpoch) records per epoch, this one \(recordsPerEpoch)")
        }
    }

    /// Runs the probe over every record of `source` in order.
    public static func evaluate(probe: Probe, source: BatchSource, batchSize: Int = 64, workers: Int? = nil) throws -> EvaluationOutput {
        let stream = try source.makeStream(epoch: 0, shuffle: false, seed: 0, batchSize: batchSize)
        defer { stream.close() }
        var out = EvaluationOutput(
            ids: [], labels: [], probabilities: [], classes: probe.configuration.classes,
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
