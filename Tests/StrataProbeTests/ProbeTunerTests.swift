import Foundation
import Testing

@testable import StrataProbe

/// `strata train --tune`'s search: the candidates around the defaults, successive halving within a
/// budget, and that the model it returns is exactly what training the chosen candidate alone gives.
@Suite struct ProbeTunerTests {
    static let config = ProbeConfiguration(kind: .gate, hidden: 12, layers: [0, 1, 2], classes: 2, inputNormalization: .rms)

    static func options(epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs; o.batchSize = 16; o.learningRate = 0.01; o.metric = .accuracy; o.patience = 0; o.workers = 1; o.seed = 4
        return o
    }

    @Test func candidatesVaryLearningRateAndTheStructuralSwitchUnlessFixed() {
        let all = ProbeTuner.candidates(base: Self.config, options: Self.options(epochs: 3), fixed: [])
        #expect(all.count == 6)
        #expect(all[0].configuration == Self.config && all[0].options.learningRate == 0.01) // the defaults first
        #expect(Set(all.map { $0.options.learningRate }) == [0.01, 0.01 / 3, 0.03])
        #expect(Set(all.map(\.configuration.gateScale)) == [false, true])
        #expect(Set(all.map { $0.settings }).count == 6)
        let fixed = ProbeTuner.candidates(base: Self.config, options: Self.options(epochs: 3), fixed: ["lr", "gate-scale"])
        #expect(fixed.count == 1 && fixed[0].settings == ["lr": "0.01"])
        var mha = Self.config
        mha.kind = .mha; mha.heads = 4
        #expect(Set(ProbeTuner.candidates(base: mha, options: Self.options(epochs: 3), fixed: ["lr"]).map(\.configuration.heads)) == [2, 4])
    }

    @Test func halvingKeepsTheBestThirdAndReturnsTheBestFullTrialExactly() throws {
        let train = try Synthetic.source(count: 120, seed: 1), validation = try Synthetic.source(count: 60, seed: 2)
        let candidates = ProbeTuner.candidates(base: Self.config, options: Self.options(epochs: 3), fixed: [])
        let outcome = try ProbeTuner(candidates: candidates, seed: 4, budgetSeconds: 3600).run(train: train, validation: validation)
        let trials = outcome.tuning.trials
        #expect(trials.count == 6 + 2)
        #expect(trials.prefix(6).allSatisfy { $0.rung == 0 && $0.epochs == 1 })
        #expect(trials.suffix(2).allSatisfy { $0.rung == 1 && $0.epochs == 3 })
        // Rung 1 holds the two best of rung 0.
        let rung0 = trials.prefix(6).sorted { ($0.validationMetric!, -$0.validationLoss!) > ($1.validationMetric!, -$1.validationLoss!) }
        #expect(Set(trials.suffix(2).map(\.settings)) == Set(rung0.prefix(2).map(\.settings)))
        let chosen = trials[outcome.tuning.chosen]
        #expect(chosen.rung == 1)
        for t in trials.suffix(2) { #expect(chosen.validationMetric! >= t.validationMetric!) }

        // Independent of the tuner: training the chosen candidate alone gives the same parameters, bit for bit.
        let candidate = candidates.first { $0.settings == chosen.settings }!
        let alone = try Probe(configuration: candidate.configuration, seed: 4)
        _ = try Trainer(probe: alone, options: candidate.options).fit(train: train, validation: validation)
        #expect(alone.parameters == outcome.probe.parameters)
        #expect(outcome.options == candidate.options)
        let report = Metrics.report(
            probabilities: try Trainer.evaluate(probe: alone, source: validation).probabilities, labels: validation.labels, classes: 2,
            threshold: outcome.result.threshold)
        #expect(abs(report.accuracy - chosen.validationMetric!) < 1e-12)
    }

    @Test func aBudgetTooSmallForMoreRunsTheFirstTrialOnly() throws {
        let train = try Synthetic.source(count: 60, seed: 1), validation = try Synthetic.source(count: 30, seed: 2)
        let candidates = ProbeTuner.candidates(base: Self.config, options: Self.options(epochs: 3), fixed: [])
        let outcome = try ProbeTuner(candidates: candidates, seed: 4, budgetSeconds: 1e-6).run(train: train, validation: validation)
        let trials = outcome.tuning.trials
        #expect(trials[0].validationMetric != nil && outcome.tuning.chosen == 0)
        #expect(trials.dropFirst().allSatisfy { $0.validationMetric == nil && ($0.note ?? "").hasPrefix("skipped") })
        #expect(outcome.tuning.budgetSeconds == 1e-6)
    }
}
