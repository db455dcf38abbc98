import ArgumentParser
import Foundation
import Strata
import StrataCapture
import StrataModel
import StrataProbe

/// `strata eval`: evaluates a trained probe on a dataset.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a probe checkpoint on a dataset (accuracy, precision, recall, F1, AUROC, AUPRC, confusion).")

    @Option(help: "Probe checkpoint written by `strata train`.") var probe: String
    @OptionGroup var dataOption: DataOption
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Write per-record predictions as JSON lines (id, label, probability, predicted; gate: layer_weights).") var predictions:
        String?
    @Option(help: "Decision threshold on P(class 1) for binary probes (default: the one chosen on validation).") var threshold: Float?
    @OptionGroup var memoryBudgetOption: MemoryBudgetOptions

    var data: String { dataOption.data }

    func run() throws {
        let checkpoint = try ProbeCheckpoint.read(from: probe)
        let model = try checkpoint.makeProbe()
        let dataset = try StrataDataset(path: data)
        try ProbeSetup.checkCompatible(checkpoint.header, metadata: dataset.metadata, datasetPath: data)
        if let trained = checkpoint.header.provenance?.promptFormat, let given = PromptFormat(metadataExtra: dataset.metadata.extra),
            trained != given
        {
            FileHandle.standardError.write(Data("warning: \(probe) was trained on \(trained) but \(data) holds \(given)\n".utf8))
        }
        let c = model.configuration
        let source = try RecordBatchSource(
            dataset: dataset, layers: c.kind == .logits ? nil : c.layers.map { LayerPosition($0) }, featureName: c.featureName,
            budget: try memoryBudgetOption.budget())
        let out = try Trainer.evaluate(probe: model, source: source)
        let t = c.classes == 2 ? (threshold ?? checkpoint.header.threshold ?? 0.5) : nil
        let report = Metrics.report(probabilities: out.probabilities, labels: out.labels, classes: c.classes, threshold: t)

        if let predictions {
            let predicted = Metrics.predictions(probabilities: out.probabilities, classes: c.classes, threshold: t)
            var lines = ""
            for i in 0..<out.ids.count {
                let p = Array(out.probabilities[(i * c.classes)..<((i + 1) * c.classes)])
                var obj: [String: Any] = [
                    "id": out.ids[i], "predicted": predicted[i],
                    "probability": c.classes == 2 ? Double(p[1]) : p.map(Double.init) as Any
                ]
                if out.labels[i] >= 0 { obj["label"] = out.labels[i] }
                if let w = out.layerWeights {
                    obj["layer_weights"] = w[(i * out.layers)..<((i + 1) * out.layers)].map { Double($0) }
                }
                if let names = checkpoint.header.labelNames, predicted[i] < names.count { obj["predicted_name"] = names[predicted[i]] }
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
                lines += String(decoding: data, as: UTF8.self) + "\n"
            }
            do { try lines.write(toFile: predictions, atomically: true, encoding: .utf8) } catch {
                throw ProbeError.io(path: predictions, reason: "cannot write predictions: \(error.localizedDescription)")
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("probe \(probe) (\(c.kind.rawValue)) on \(data): \(report.count) labelled of \(out.ids.count) records")
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a" }
        let scope = c.classes == 2 ? "positive class" : "macro"
        print("accuracy \(f(report.accuracy))  precision \(f(report.precision))  recall \(f(report.recall))  f1 \(f(report.f1)) (\(scope))")
        print(
            "macro-f1 \(f(report.macroF1))  auroc \(f(report.auroc))  auprc \(f(report.auprc))"
                + (t.map { String(format: "  threshold %.4f", $0) } ?? ""))
        let names = checkpoint.header.labelNames ?? (0..<c.classes).map { "class \($0)" }
        print("confusion (rows: true, columns: predicted)")
        for (i, row) in report.confusion.enumerated() {
            print(
                "  " + (i < names.count ? names[i] : "\(i)").padding(toLength: 14, withPad: " ", startingAt: 0)
                    + row.map { String($0).padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
        }
    }
}
