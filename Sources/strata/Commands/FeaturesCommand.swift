import ArgumentParser
import Foundation
import Strata
import StrataProbe

/// `strata features`: exports a head-only probe's input features (per-record pooled hidden states)
/// as a NumPy array, for independent checks and for training other classifiers on them.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Export pooled per-record features (a head-only probe's head input) as a float32 .npy.",
        discussion: """
            Each record's selected layers are normalised per token (--normalize), pooled over its valid tokens \
            (--pool), then pooled over layers (--layer-pool) — the same code the pooling probe trains on, so \
            `strata train --probe pooling` with the same --pool/--layer-pool/--layers/--normalize sees exactly \
            these vectors. Writes OUT (float32, C order) of shape [N, d], or [N, L, d] with --layer-pool none, \
            rows in dataset order, and beside it a JSON sidecar (OUT with .npy replaced by .json) holding \
            "ids" and "labels" (primary label, -1 when unlabelled) per row, "label_names", "shape", \
            "layer_indices" (hidden-state indices of the L layers), "pool", "layer_pool", "normalize", "dataset". \
            Records are streamed in bounded memory (--memory-budget); progress goes to stderr. \
            --probe last-token or mean-last exports those baselines' head input instead (the last valid token, or the \
            mean over valid tokens, of one layer, default the last; --pool and --layer-pool do not apply).
            """)

    @OptionGroup var dataOption: DataOption
    @Option(help: "Output .npy file (the JSON sidecar goes next to it).") var out: String
    @Option(help: "Pooling over each layer's valid tokens.") var pool: PoolMode = .mean
    @Option(name: .customLong("layer-pool"), help: "Pooling over layers (none keeps one row per layer: [N, L, d]).")
    var layerPool: LayerPoolChoice = .mean
    @Option(help: "Whose head input to export: pooling, last-token or mean-last.") var probe: ProbeKind = .pooling
    @Option(
        help: ArgumentHelp(
            "Layers, as \(hiddenStateIndicesHelp): all, last, or a list such as 0,5,10 or 0-4,last (default: all; last for last-token/mean-last).",
            valueName: "indices"))
    var layers: LayerListArgument?
    @Option(help: "Per-token input normalisation before pooling (the probes' default is rms).") var normalize: InputNormalization = .rms
    @OptionGroup var memoryBudgetOption: MemoryBudgetOptions
    @OptionGroup var workerThreads: WorkerThreadsOption
    @Flag(help: "No progress on stderr.") var quiet = false

    /// Checks that need no file, so a bad value is reported with this command's usage line.
    var data: String { dataOption.data }
    var threads: Int? { workerThreads.threads }

    func validate() throws {
        guard [.pooling, .lastToken, .meanLast].contains(probe) else {
            throw ValidationError(
                "--probe must be pooling, last-token or mean-last (the kinds whose head input is a fixed function of the record), not '\(probe.rawValue)'"
            )
        }
        guard probe == .pooling || layerPool != .none else { throw ValidationError("--layer-pool none applies to --probe pooling only") }
    }

    func run() throws {
        let tokenPool = pool, normalization = normalize
        let layerPoolMode = layerPool.mode // nil = none
        let budget = try memoryBudgetOption.budget()
        let dataset = try StrataDataset(path: data)
        let meta = dataset.metadata
        let kind = probe
        let positions = try ProbeSetup.layerPositions(layers?.text, kind: kind, metadata: meta)
        let d = meta.hidden, count = dataset.count

        // The probe kind's own code computes the features; its (unused) head is never read.
        let probe = try Probe(
            configuration: ProbeConfiguration(
                kind: kind, hidden: d, layers: positions, classes: 2, tokenPool: tokenPool, layerPool: layerPoolMode ?? .mean,
                inputNormalization: normalization), parameters: nil)
        let shape = layerPoolMode == nil ? [count, positions.count, d] : [count, d]
        let source = try RecordBatchSource(dataset: dataset, layers: positions.map { LayerPosition($0) }, budget: budget)
        let writer = try NumpyFileWriter(path: out, shape: shape)
        var ids: [String] = [], labels: [Int] = []
        ids.reserveCapacity(count); labels.reserveCapacity(count)
        let stream = try source.makeStream(epoch: 0, shuffle: false, seed: 0, batchSize: 64)
        defer { stream.close() }
        let start = Date()
        var lastPrint = start
        while let batch = try stream.next() {
            let rows =
                layerPoolMode == nil
                ? try probe.layerSummaries(batch: batch, workers: threads)
                : try probe.headInputs(batch: batch, workers: threads)
            try rows.withUnsafeBufferPointer { try writer.append($0) }
            ids += batch.ids
            labels += batch.labels
            let now = Date()
            if !quiet, now.timeIntervalSince(lastPrint) >= 1 || ids.count == count {
                lastPrint = now
                let rate = Double(ids.count) / max(now.timeIntervalSince(start), 1e-9)
                FileHandle.standardError.write(
                    Data(String(format: "features: %d/%d records  %.0f records/s\n", ids.count, count, rate).utf8))
            }
        }
        try writer.finish()

        let sidecar = Self.sidecarPath(out)
        let info: [String: Any] = [
            "dataset": data, "shape": shape, "dtype": "float32", "ids": ids, "labels": labels,
            "label_names": meta.labelNames.map { $0 as Any } ?? NSNull(),
            "layer_indices": positions.map { meta.layers[$0].index }, "pool": tokenPool.rawValue, "layer_pool": layerPool.rawValue,
            "normalize": normalization.rawValue, "tool_version": strataToolVersion, "probe": kind.rawValue
        ]
        let json = try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])
        do { try json.write(to: URL(fileURLWithPath: sidecar), options: .atomic) } catch {
            throw ProbeError.io(path: sidecar, reason: "cannot write the features sidecar: \(error.localizedDescription)")
        }
        let pooling =
            kind == .pooling
            ? "\(tokenPool.rawValue) over tokens, \(layerPool.rawValue) over \(positions.count) layers" : "\(kind.rawValue) of 1 layer"
        print("wrote \(out): \(shape) float32 (\(pooling), normalize \(normalization.rawValue)); ids and labels in \(sidecar)")
    }

    /// The sidecar of `features.npy` is `features.json` (any other name gets `.json` appended).
    static func sidecarPath(_ out: String) -> String {
        out.hasSuffix(".npy") ? String(out.dropLast(4)) + ".json" : out + ".json"
    }
}
