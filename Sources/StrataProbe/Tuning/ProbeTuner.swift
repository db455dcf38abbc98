import Foundation
import StrataUtilities

/// `strata train --tune`: a small successive-halving search on the validation split within a time
/// budget. Rung 0 trains every candidate for a third of the epochs (its own warm-up and cosine
/// schedule over that length); the best third (at least one) is trained again from scratch for the
/// full epochs in rung 1. Candidates are the kind's defaults with the learning rate ÷3, ×1 and ×3,
/// crossed with the kind's key structural switch (gate: `--gate-scale` off/on; MHA: 2 or 4 heads).
/// Before each trial the tuner estimates its time from the seconds per epoch measured so far and
/// skips it when it would end past the budget (the defaults' first trial always runs). The
/// checkpoint holds the trial with the best validation score (`ValidationScore.isBetter`) among
/// those of the highest rung that ran.
public final class ProbeTuner {
    /// One point of the search: a probe configuration and its training options.
    public struct Candidate: Sendable {
        public var configuration: ProbeConfiguration
        public var options: TrainingOptions
        /// The settings that distinguish it (flag → value), as recorded in the trials.
        public var settings: [String: String]

        public init(configuration: ProbeConfiguration, options: TrainingOptions, settings: [String: String]) {
            self.configuration = configuration; self.options = options; self.settings = settings
        }
    }

    public struct Outcome {
        public var probe: Probe
        public var options: TrainingOptions
        public var result: TrainingResult
        public var tuning: TuningRecord
    }

    public static let method = "successive halving over learning rate and structural switches, scored on validation"

    /// The search space around `base` (the kind's defaults with the user's flags applied); the
    /// unchanged base comes first. `fixed` names the settings the user gave explicitly, which stay as given.
    public static func candidates(base configuration: ProbeConfiguration, options: TrainingOptions, fixed: Set<String>) -> [Candidate] {
        let rates: [Float] =
            fixed.contains("lr")
            ? [options.learningRate]
            : [options.learningRate, options.learningRate / 3, options.learningRate * 3]
        var structural: [(ProbeConfiguration, [String: String])] = [(configuration, [:])]
        switch configuration.kind {
        case .gate where !fixed.contains("gate-scale"):
            var other = configuration
            other.gateScale.toggle()
            structural = [
                (configuration, ["gate-scale": configuration.gateScale ? "on" : "off"]),
                (other, ["gate-scale": other.gateScale ? "on" : "off"])
            ]
        case .mha where !fixed.contains("heads"):
            var other = configuration
            other.heads = configuration.heads == 2 ? 4 : 2
            structural = [(configuration, ["heads": "\(configuration.heads)"]), (other, ["heads": "\(other.heads)"])]
        default: break
        }
        var out: [Candidate] = []
        for (config, switches) in structural {
            for rate in rates {
                var o = options
                o.learningRate = rate
                out.append(
                    Candidate(
                        configuration: config, options: o,
                        settings: switches.merging(["lr": String(format: "%g", Double(rate))]) { a, _ in a }))
            }
        }
        return out
    }

    let candidates: [Candidate]
    let seed: UInt64
    let budgetSeconds: Double

    public init(candidates: [Candidate], seed: UInt64, budgetSeconds: Double) {
        self.candidates = candidates; self.seed = seed; self.budgetSeconds = budgetSeconds
    }

    /// Runs the search. `trialFinished` is called after every trial (also skipped ones).
    public func run(
        train: BatchSource, validation: BatchSource, trialFinished: (TuningTrial) -> Void = { _ in }
    ) throws -> Outcome {
        guard let first = candidates.first else {
            throw ProbeError.invalid(.tuning, value: "", "no candidate to train")
        }
        let started = Date()
        var secondsPerEpoch: Double?
        var trials: [TuningTrial] = []
        var best: (rung: Int, trial: Int, score: ValidationScore, probe: Probe, options: TrainingOptions, result: TrainingResult)?
        let fullEpochs = first.options.epochs
        let rungs = [max(1, (fullEpochs + 2) / 3), fullEpochs]
        var survivors = Array(candidates.indices)
        for (rung, epochs) in rungs.enumerated() {
            if rung > 0 && epochs == rungs[rung - 1] && survivors.count == 1 { break } // nothing new to learn
            var scored: [(index: Int, score: ValidationScore)] = []
            for index in survivors {
                let candidate = candidates[index]
                var options = candidate.options
                options.epochs = epochs
                let elapsed = Date().timeIntervalSince(started)
                if let perEpoch = secondsPerEpoch, elapsed + perEpoch * Double(epochs) > budgetSeconds {
                    let trial = TuningTrial(
                        settings: candidate.settings, rung: rung, epochs: epochs, validationMetric: nil, validationLoss: nil,
                        seconds: 0,
                        note: String(format: "skipped: ~%.0fs would pass the %.0fs budget", perEpoch * Double(epochs), budgetSeconds))
                    trials.append(trial)
                    trialFinished(trial)
                    continue
                }
                let trialStart = Date()
                let probe = try Probe(configuration: candidate.configuration, seed: seed)
                let result = try Trainer(probe: probe, options: options).fit(train: train, validation: validation)
                let seconds = Date().timeIntervalSince(trialStart)
                let perEpoch = seconds / Double(max(1, result.epochsRun))
                secondsPerEpoch = max(secondsPerEpoch ?? 0, perEpoch)
                let out = try Trainer.evaluate(probe: probe, source: validation, workers: options.workers)
                let score = ValidationScore(
                    probabilities: out.probabilities, labels: out.labels, classes: out.classes,
                    metric: options.metric, fixedThreshold: options.fixedThreshold)
                let trial = TuningTrial(
                    settings: candidate.settings, rung: rung, epochs: epochs, validationMetric: score.metric,
                    validationLoss: score.loss, seconds: seconds,
                    note: "best epoch \(result.bestEpoch) of \(result.epochsRun)")
                trials.append(trial)
                trialFinished(trial)
                scored.append((index, score))
                if best == nil || rung > best!.rung || (rung == best!.rung && score.isBetter(than: best!.score)) {
                    best = (rung, trials.count - 1, score, probe, options, result)
                }
            }
            guard !scored.isEmpty else { break }
            let keep = max(1, (scored.count + 2) / 3)
            survivors = scored.sorted { $0.score.isBetter(than: $1.score) }.prefix(keep).map(\.index)
        }
        guard let chosen = best else {
            throw ProbeError.invalid(.tuningBudget, value: "\(budgetSeconds)s", "no trial finished")
        }
        return Outcome(
            probe: chosen.probe, options: chosen.options, result: chosen.result,
            tuning: TuningRecord(method: Self.method, budgetSeconds: budgetSeconds, trials: trials, chosen: chosen.trial))
    }
}
