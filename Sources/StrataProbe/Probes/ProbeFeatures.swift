import Dispatch
import Foundation
import StrataUtilities

/// The fixed (parameter-free) stages of a probe as feature extractors, for whole batches: the
/// pooled vector a head-only probe's head reads (`PooledFeatureSource`, `strata features`) and the
/// per-layer token-stage summaries below it. Both run the probe's own forward code, so exported
/// features are exactly what the probe trains on.
extension Probe {
    /// The vector the head reads for every example of `batch` (B × `headInputWidth`): the pooled
    /// token/layer summary, or the batch's own features for the logit baseline.
    public func headInputs(batch: Batch, workers requested: Int? = nil) throws -> [Float] {
        try batch.validate()
        let w = headInputWidth
        if configuration.kind == .logits || batch.featureWidth > 0 {
            guard batch.featureWidth == w else {
                throw ProbeError.shapeMismatch(what: "batch features", expected: [batch.count, w], actualCount: batch.features.count)
            }
            return batch.features
        }
        return try perExample(batch, width: w, workers: requested) { ex, params, ws in UnsafePointer(pool(ex, params: params, ws: ws)) }
    }

    /// The token stage's output for every example of `batch`: B × L × d, layer l's row being the
    /// (normalised, then mean- or max-pooled over valid tokens) summary of the probe's l-th layer.
    /// For a pooling probe this is the input of its layer pooling.
    /// - Throws: `ProbeError.invalidSetting` for the logit baseline (no token stage).
    public func layerSummaries(batch: Batch, workers requested: Int? = nil) throws -> [Float] {
        try batch.validate()
        guard configuration.kind.readsHiddenStates else {
            throw ProbeError.invalid(
                .probeKind, value: configuration.kind.rawValue, "the logit baseline has no per-layer token stage")
        }
        let width = configuration.layers.count * configuration.hidden
        return try perExample(batch, width: width, workers: requested) { ex, params, ws in
            UnsafePointer(summarizeLayers(ex, params: params, ws: ws))
        }
    }

    /// Runs `rowOf` on every example of a hidden-state batch, in parallel, and gathers its
    /// `width` values per example (B × width, in batch order).
    private func perExample(
        _ batch: Batch, width w: Int, workers requested: Int?,
        _ rowOf: (ExampleView, UnsafePointer<Float>, ProbeWorkspace) -> UnsafePointer<Float>
    ) throws -> [Float] {
        guard batch.layers == configuration.layers.count, batch.hidden == configuration.hidden else {
            throw ProbeError.shapeMismatch(
                what: "batch hidden states", expected: [batch.count, configuration.layers.count, batch.tokens, configuration.hidden],
                actualCount: batch.values.count)
        }
        let workers = Self.workerCount(batch.count, requested: requested)
        let spaces = (0..<workers).map { _ in ProbeWorkspace() }
        var out = [Float](repeating: 0, count: batch.count * w)
        withoutActuallyEscaping(rowOf) { rowOf in
            parameters.withUnsafeBufferPointer { pbuf in
                batch.values.withUnsafeBufferPointer { vbuf in
                    batch.mask.withUnsafeBufferPointer { mbuf in
                        out.withUnsafeMutableBufferPointer { obuf in
                            DispatchQueue.concurrentPerform(iterations: workers) { k in
                                var i = k
                                while i < batch.count {
                                    let ex = ExampleView(
                                        batch: batch, index: i, values: vbuf.baseAddress, mask: mbuf.baseAddress, features: nil)
                                    (obuf.baseAddress! + i * w).update(from: rowOf(ex, pbuf.baseAddress!, spaces[k]), count: w)
                                    i += workers
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
