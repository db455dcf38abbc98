import Strata
import StrataUtilities

/// Maps a dataset and user options to probe settings (shared by `strata train`, `eval`, `layers`).
public enum ProbeSetup {
    /// The auxiliary vector the logit baseline reads.
    public static let logprobsName = "next_token_logprobs"

    /// Number of classes: the dataset's label names when present, else 1 + the largest label (at least 2).
    public static func classCount(metadata: StrataMetadata, labels: [Int]) -> Int {
        if let names = metadata.labelNames, names.count >= 2 { return names.count }
        return max(2, (labels.max() ?? 0) + 1)
    }

    /// Layer positions from a layers value (`LayerListSyntax`): "all", or a comma list of model
    /// hidden-state indices (0 = embeddings), ranges and "last" (the last captured layer). nil text = the
    /// probe kind's default (all; last for one-layer baselines).
    public static func layerPositions(_ text: String?, kind: ProbeKind, metadata: StrataMetadata) throws -> [Int] {
        let n = metadata.layers.count
        let spec = text ?? (kind.readsOneLayer ? "last" : "all")
        let syntax: LayerListSyntax
        do {
            syntax = try LayerListSyntax.parse(spec)
        } catch let error as TextParseError {
            throw ProbeError.invalid(.layers, value: spec, "\(error.reason)")
        }
        guard case .items(let items) = syntax else { return Array(0..<n) }
        let positions = try items.map { item -> Int in
            switch item {
            case .last:
                return n - 1
            case .number(let index):
                guard let position = metadata.layers.firstIndex(where: { $0.index == index }) else {
                    throw ProbeError.invalid(
                        .layers, value: String(index),
                        "not a captured layer; this dataset has hidden-state indices \(metadata.layers.map(\.index))")
                }
                return position
            }
        }
        if kind.readsOneLayer && positions.count != 1 {
            throw ProbeError.invalid(.layers, value: spec, "the \(kind.rawValue) probe reads exactly one layer")
        }
        return positions
    }

    /// Checks that a dataset can feed a stored probe: same width, and the probe's layers captured
    /// at the same positions with the same hidden-state indices.
    public static func checkCompatible(_ header: ProbeCheckpoint.Header, metadata: StrataMetadata, datasetPath: String) throws {
        let c = header.configuration
        if c.kind == .logits {
            guard metadata.auxiliary.contains(where: { $0.name == (c.featureName ?? "") }) else {
                throw ProbeError.missingAuxiliary(
                    dataset: datasetPath, name: c.featureName ?? "", available: metadata.auxiliary.map(\.name))
            }
            return
        }
        guard metadata.hidden == c.hidden else {
            throw ProbeError.invalidData(
                source: datasetPath, record: nil, reason: "hidden size \(metadata.hidden) differs from the probe's \(c.hidden)")
        }
        for (k, p) in c.layers.enumerated() {
            guard p < metadata.layers.count else {
                throw ProbeError.invalidData(
                    source: datasetPath, record: nil, reason: "has \(metadata.layers.count) layers; the probe reads position \(p)")
            }
            if let expected = header.provenance?.layerIndices, k < expected.count, metadata.layers[p].index != expected[k] {
                throw ProbeError.invalidData(
                    source: datasetPath, record: nil,
                    reason: "layer position \(p) holds hidden state \(metadata.layers[p].index) but the probe was trained on \(expected[k])"
                )
            }
        }
    }
}
