import ArgumentParser
import Foundation
import Strata
import StrataProbe

/// `strata layers`: the gate probe's layer weights per class and per correctness, as SVG + JSON.
struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "Plot a gate probe's layer weights averaged per true class and per correct/incorrect prediction.")

    @Option(help: "Gate probe checkpoint.") var probe: String
    @OptionGroup var dataOption: DataOption
    @Option(help: "SVG file to write.") var out: String
    @Option(help: "JSON file for the numbers (default: --out with .json).") var json: String?
    @OptionGroup var memoryBudgetOption: MemoryBudgetOptions

    var data: String { dataOption.data }

    func run() throws {
        let checkpoint = try ProbeCheckpoint.read(from: probe)
        let model = try checkpoint.makeProbe()
        guard model.hasLayerWeights else {
            throw ValidationError("\(probe) is a \(model.configuration.kind.rawValue) probe; layer weights exist only for --probe gate")
        }
        let dataset = try StrataDataset(path: data)
        try ProbeSetup.checkCompatible(checkpoint.header, metadata: dataset.metadata, datasetPath: data)
        let source = try RecordBatchSource(
            dataset: dataset, layers: model.configuration.layers.map { LayerPosition($0) },
            budget: try memoryBudgetOption.budget())
        let output = try Trainer.evaluate(probe: model, source: source)
        let indices = model.configuration.layers.map { dataset.metadata.layers[$0].index }
        let summary = try LayerWeightSummary(
            output: output, threshold: checkpoint.header.threshold, layerIndices: indices,
            labelNames: checkpoint.header.labelNames)
        let title = "Gate layer weights — \((probe as NSString).lastPathComponent) on \((data as NSString).lastPathComponent)"
        let jsonPath = json ?? ((out as NSString).deletingPathExtension + ".json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try summary.svg(title: title).write(toFile: out, atomically: true, encoding: .utf8)
            try encoder.encode(summary).write(to: URL(fileURLWithPath: jsonPath), options: .atomic)
        } catch {
            throw ProbeError.io(path: out, reason: "cannot write figure: \(error.localizedDescription)")
        }
        print("wrote \(out) and \(jsonPath)")
        for g in summary.groups {
            let top = g.meanWeights.enumerated().max { $0.element < $1.element }
            print(
                "  \(g.name) (n=\(g.count)): peak weight \(String(format: "%.4f", top?.element ?? 0)) at layer \(top.map { indices[$0.offset] } ?? -1)"
            )
        }
    }
}
