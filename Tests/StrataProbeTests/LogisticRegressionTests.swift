import Foundation
import StrataTestSupport
import Testing

@testable import StrataProbe

/// The linear baselines' solver against scikit-learn's `LogisticRegression` on the same features:
/// the fitted weights at a fixed C, and the C chosen on validation with its test accuracy.
@Suite struct LogisticRegressionTests {
    /// Overlapping classes: each class has its own mean in a few directions, plus correlated noise, so
    /// that the optimum depends on C and test accuracy is well below 100%.
    static func features(count: Int, width: Int, classes: Int, seed: UInt64) -> FeatureSet {
        var rng = SeededGenerator(seed: seed)
        var x: [Float] = [], y: [Int] = []
        for _ in 0..<count {
            let label = Int(rng.next() % UInt64(classes))
            let shared = rng.normal()
            for j in 0..<width {
                var v = rng.normal() + 0.5 * shared
                if j < 2 * classes && j % classes == label { v += 0.6 }
                x.append(v * Float(1 + j % 3))
            }
            y.append(label)
        }
        return FeatureSet(features: x, labels: y, width: width)
    }

    /// Runs scikit-learn on `sets` (train, then optional val and test) written to a JSON file; the script reads
    /// `data` and prints JSON.
    static func sklearn(_ script: String, _ sets: [String: FeatureSet], extra: [String: Any] = [:]) throws -> [String: Any] {
        try withTemporaryDirectoryURL("logreg-sklearn") { dir in
            var payload: [String: Any] = extra
            for (name, set) in sets { payload[name] = ["x": set.features.map(Double.init), "y": set.labels, "width": set.width] }
            let input = dir.appendingPathComponent("data.json")
            try JSONSerialization.data(withJSONObject: payload).write(to: input)
            let program = """
                import json, sys, warnings
                import numpy as np
                from sklearn.linear_model import LogisticRegression
                warnings.simplefilter("ignore")
                data = json.load(open(sys.argv[1]))
                def arrays(name):
                    d = data[name]
                    return np.array(d["x"], dtype=np.float64).reshape(-1, d["width"]), np.array(d["y"])
                \(script)
                """
            let result = try Python.run(["-c", program, input.path])
            guard result.status == 0 else { throw PythonFailure(output: result.output) }
            return try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        }
    }

    struct PythonFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "python3 failed: \(output)" }
    }

    @Test(.needsPython("sklearn", "numpy"), arguments: [(2, 0.05), (2, 3.0), (3, 0.3)])
    func weightsMatchScikitLearnAtAFixedC(classes: Int, c: Double) throws {
        let train = Self.features(count: 400, width: 12, classes: classes, seed: 7)
        let weights: [Double] = (0..<classes).map { 1 + Double($0) * 0.5 } // class weights as sample weights
        let reference = try Self.sklearn(
            """
            x, y = arrays("train")
            m = LogisticRegression(C=data["C"], tol=1e-12, max_iter=100000, class_weight={i: w for i, w in enumerate(data["cw"])}).fit(x, y)
            print(json.dumps({"coef": m.coef_.ravel().tolist(), "intercept": m.intercept_.tolist()}))
            """, ["train": train], extra: ["C": c, "cw": weights])
        let fit = LogisticRegression.fit(
            features: FeatureMatrix(features: train.features, width: train.width, keep: Array(train.labels.indices)), labels: train.labels,
            sampleWeights: train.labels.map { weights[$0] }, classes: classes, inverseRegularization: c, tolerance: 1e-7)
        #expect(fit.converged)
        let coef = reference["coef"] as! [Double], intercept = reference["intercept"] as! [Double]
        #expect(coef.count == fit.model.weights.count && intercept.count == fit.model.bias.count)
        let scale = coef.map(abs).max()!
        for (a, b) in zip(fit.model.weights, coef) { #expect(abs(a - b) <= 1e-4 * scale, "weight \(a) vs scikit-learn \(b)") }
        for (a, b) in zip(fit.model.bias, intercept) { #expect(abs(a - b) <= 1e-4 * max(1, scale), "bias \(a) vs scikit-learn \(b)") }
    }

    @Test(.needsPython("sklearn", "numpy"))
    func searchChoosesCOnValidationLikeScikitLearn() throws {
        let train = Self.features(count: 300, width: 40, classes: 2, seed: 11)
        let validation = Self.features(count: 300, width: 40, classes: 2, seed: 12)
        let test = Self.features(count: 1000, width: 40, classes: 2, seed: 13)
        let grid = LogisticRegressionSearch.defaultGrid
        // scikit-learn: C chosen by validation accuracy at the 0.5 threshold (ties: smaller C), then test accuracy.
        let reference = try Self.sklearn(
            """
            x, y = arrays("train"); xv, yv = arrays("val"); xt, yt = arrays("test")
            rows = []
            for c in data["grid"]:
                m = LogisticRegression(C=c, max_iter=10000).fit(x, y)
                rows.append((m.score(xv, yv), -c, m.score(xt, yt)))
            best = max(rows)
            print(json.dumps({"C": -best[1], "val": best[0], "test": best[2]}))
            """, ["train": train, "val": validation, "test": test], extra: ["grid": grid])

        let config = ProbeConfiguration(kind: .lastToken, hidden: 40, layers: [0], classes: 2)
        let probe = try Probe(configuration: config, seed: 1)
        var options = TrainingOptions()
        options.metric = .accuracy
        options.fixedThreshold = 0.5
        let outcome = try LogisticRegressionSearch.fit(probe: probe, train: train, validation: validation, grid: grid, options: options)
        #expect(outcome.tuning.trials.count == grid.count)
        #expect(outcome.tuning.trials.map { $0.settings["C"]! } == grid.sorted().map { String(format: "%g", $0) })

        // The probe now holds the regression: its test accuracy at 0.5 within a point of scikit-learn's.
        var correct = 0
        for i in 0..<test.labels.count {
            var z = probe.parameters[40]
            for j in 0..<40 { z += probe.parameters[j] * test.features[i * 40 + j] }
            if (z >= 0 ? 1 : 0) == test.labels[i] { correct += 1 }
        }
        let accuracy = Double(correct) / Double(test.labels.count)
        let sklearnTest = reference["test"] as! Double
        #expect(
            abs(accuracy - sklearnTest) <= 0.01,
            "strata \(accuracy) vs scikit-learn \(sklearnTest) (C \(outcome.inverseRegularization) vs \(reference["C"]!))")
        #expect(abs((outcome.result.validation?.accuracy ?? 0) - (reference["val"] as! Double)) <= 0.01)
    }

    @Test func searchWithoutValidationUsesCOne() throws {
        let train = Self.features(count: 100, width: 8, classes: 2, seed: 3)
        let probe = try Probe(configuration: ProbeConfiguration(kind: .meanLast, hidden: 8, layers: [0], classes: 2), seed: 1)
        let outcome = try LogisticRegressionSearch.fit(
            probe: probe, train: train, validation: nil,
            grid: LogisticRegressionSearch.defaultGrid, options: TrainingOptions())
        #expect(outcome.inverseRegularization == 1)
        #expect(outcome.tuning.trials.count == 1)
        #expect(outcome.result.threshold == 0.5)
    }

    @Test func searchRefusesProbesWithParametersBelowTheHead() throws {
        let train = Self.features(count: 20, width: 8, classes: 2, seed: 3)
        let probe = try Probe(configuration: ProbeConfiguration(kind: .gate, hidden: 8, layers: [0], classes: 2), seed: 1)
        #expect(throws: ProbeError.self) {
            try LogisticRegressionSearch.fit(probe: probe, train: train, validation: nil, grid: [1], options: TrainingOptions())
        }
    }
}
