import Dispatch
import Foundation

/// A probe: the two-stage aggregator (token stage per layer, layer stage over the layer summaries)
/// and a linear head, with all parameters in one flat vector.
///
/// | kind | token stage (per layer) | layer stage | parameters |
/// |---|---|---|---|
/// | pooling | mean/max pool | mean/max pool | head only |
/// | gate | gate w_l | shared gate w | (L+2)·d (+ L+2 scales) + head |
/// | mha | MHA_l | MHA | 4·(L+2)·d·k + head |
/// | last-token | last valid row (1 layer) | identity | head only |
/// | mean-last | mean pool (1 layer) | identity | head only |
/// | logits | — (aux features) | — | head only |
///
/// Not thread-safe: one training or prediction call at a time per instance (it parallelises inside).
public final class Probe {
    public let configuration: ProbeConfiguration
    public let layout: ParameterLayout
    /// All trainable values, laid out by `layout`.
    public var parameters: [Float]

    let tokenStage: [SetAggregator]
    let layerStage: SetAggregator
    let head: LinearHead
    private var workspaces: [ProbeWorkspace] = []
    private var workerGradients: [FloatScratch] = []

    /// Builds a probe with freshly initialised parameters (seeded).
    public convenience init(configuration: ProbeConfiguration, seed: UInt64) throws {
        try self.init(configuration: configuration, parameters: nil)
        var rng = SeededGenerator(seed: seed ^ 0x5EED_0F_9B0BE)
        parameters.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            for module in tokenStage { module.initialize(p, rng: &rng) }
            layerStage.initialize(p, rng: &rng)
            head.initialize(p, rng: &rng)
        }
    }

    /// Builds a probe around given parameters (checkpoint load) or zeros.
    public init(configuration: ProbeConfiguration, parameters: [Float]?) throws {
        try configuration.validate()
        self.configuration = configuration
        var layout = ParameterLayout()
        let d = configuration.hidden, L = configuration.layers.count
        switch configuration.kind {
        case .pooling:
            tokenStage = Array(
                repeating: SetAggregator(kind: .pool(configuration.tokenPool), width: d, name: "", layout: &layout), count: L)
            layerStage = SetAggregator(kind: .pool(configuration.layerPool), width: d, name: "", layout: &layout)
        case .gate:
            tokenStage = (0..<L).map {
                SetAggregator(kind: .gate(learnableScale: configuration.gateScale), width: d, name: "token_gate.\($0)", layout: &layout)
            }
            layerStage = SetAggregator(kind: .gate(learnableScale: configuration.gateScale), width: d, name: "layer_gate", layout: &layout)
        case .mha:
            let kind = AggregatorKind.attention(
                heads: configuration.heads, inner: configuration.attentionInner, pool: configuration.tokenPool)
            tokenStage = (0..<L).map { SetAggregator(kind: kind, width: d, name: "token_mha.\($0)", layout: &layout) }
            let layerKind = AggregatorKind.attention(
                heads: configuration.heads, inner: configuration.attentionInner, pool: configuration.layerPool)
            layerStage = SetAggregator(kind: layerKind, width: d, name: "layer_mha", layout: &layout)
        case .lastToken:
            tokenStage = Array(repeating: SetAggregator(kind: .lastRow, width: d, name: "", layout: &layout), count: L)
            layerStage = SetAggregator(kind: .pool(.mean), width: d, name: "", layout: &layout)
        case .meanLast:
            tokenStage = Array(repeating: SetAggregator(kind: .pool(.mean), width: d, name: "", layout: &layout), count: L)
            layerStage = SetAggregator(kind: .pool(.mean), width: d, name: "", layout: &layout)
        case .logits:
            tokenStage = []
            layerStage = SetAggregator(kind: .pool(.mean), width: 1, name: "", layout: &layout)
        }
        let inputWidth = configuration.kind == .logits ? (configuration.featureWidth ?? 0) : d
        head = LinearHead(inputWidth: inputWidth, outputs: configuration.outputs, layout: &layout)
        self.layout = layout
        if let parameters {
            guard parameters.count == layout.totalCount else {
                throw ProbeError.shapeMismatch(what: "probe parameters", expected: [layout.totalCount], actualCount: parameters.count)
            }
            self.parameters = parameters
        } else {
            self.parameters = [Float](repeating: 0, count: layout.totalCount)
        }
    }

    /// Number of trainable parameters.
    public var parameterCount: Int { layout.totalCount }

    /// Whether the layer stage is a gate whose per-example layer weights can be reported.
    public var hasLayerWeights: Bool { configuration.kind == .gate }

    // MARK: - One example

    /// Forward through token stage, layer stage and head; logits land in `ws.logits`.
    func forward(_ ex: ExampleView, params: UnsafePointer<Float>, ws: ProbeWorkspace) {
        if let features = headInput(ex) {
            head.forward(v: features, params: params, logits: ws.logits.ensure(head.outputs))
            return
        }
        head.forward(v: pool(ex, params: params, ws: ws), params: params, logits: ws.logits.ensure(head.outputs))
    }

    /// Whether nothing below the head is trainable (pooling, last-token, mean-last, logits): the
    /// head's input is then a fixed function of the example and can be computed once.
    public var isHeadOnly: Bool { layout.totalCount == head.parameterCount }

    /// Width of the vector the head reads (`hidden`, or the feature width of the logit baseline).
    public var headInputWidth: Int { head.inputWidth }

    /// The head's input when the example carries it as features: the logit baseline's auxiliary
    /// vector, or a head-only probe's precomputed pooled vector (`PooledFeatureSource`).
    private func headInput(_ ex: ExampleView) -> UnsafePointer<Float>? {
        guard let features = ex.features, configuration.kind == .logits || isHeadOnly else { return nil }
        return features
    }

    /// Token and layer stages of one example: the pooled vector the head reads (in `ws.pooled`).
    func pool(_ ex: ExampleView, params: UnsafePointer<Float>, ws: ProbeWorkspace) -> UnsafeMutablePointer<Float> {
        let summaries = summarizeLayers(ex, params: params, ws: ws), pooled = ws.pooled.ensure(configuration.hidden)
        layerStage.forward(
            x: summaries, rows: tokenStage.count, mask: nil, params: params, cache: ws.layerCache, shared: ws.shared, out: pooled)
        return pooled
    }

    /// Token stage of one example: one d-wide summary per layer (L × d, in `ws.summaries`).
    func summarizeLayers(_ ex: ExampleView, params: UnsafePointer<Float>, ws: ProbeWorkspace) -> UnsafeMutablePointer<Float> {
        let d = configuration.hidden
        let L = tokenStage.count
        let summaries = ws.summaries.ensure(L * d)
        ws.prepare(layers: L)
        for l in 0..<L {
            tokenStage[l].forward(
                x: layerInput(ex, layer: l, ws: ws), rows: ex.tokens, mask: ex.mask, params: params,
                cache: ws.tokenCaches[l], shared: ws.shared, out: summaries + l * d)
        }
        return summaries
    }

    /// Layer `l`'s rows as the token stage sees them: the example's values, or (with input
    /// normalisation) a normalised copy in one per-thread T × d buffer. The backward recomputes the
    /// copy layer by layer (one cheap pass) instead of keeping all layers, so a worker's memory does
    /// not grow with the number of layers.
    private func layerInput(_ ex: ExampleView, layer l: Int, ws: ProbeWorkspace) -> UnsafePointer<Float> {
        let d = configuration.hidden
        return tokenStageInput(ex.values + l * ex.tokens * d, tokens: ex.tokens, mask: ex.mask, ws: ws)
    }

    /// One layer's `tokens × d` rows as the token stage sees them: `raw` itself, or (with input
    /// normalisation) a normalised copy in `ws.normalized`. Shared by training, `predict` and
    /// `LiveProbe`, so every path feeds the token stage the same values.
    func tokenStageInput(_ raw: UnsafePointer<Float>, tokens: Int, mask: UnsafePointer<UInt8>, ws: ProbeWorkspace) -> UnsafePointer<Float> {
        switch configuration.inputNormalization {
        case .none:
            return raw
        case .rms:
            let out = ws.normalized.ensure(tokens * configuration.hidden)
            InputNormalization.rmsForward(x: raw, rows: tokens, width: configuration.hidden, mask: mask, out: out)
            return UnsafePointer(out)
        }
    }

    /// Backward of `forward` for the same example, from `ws.dLogits`; accumulates into `grads`.
    /// Hidden states are frozen, so the token stage computes no input gradient.
    func backward(_ ex: ExampleView, params: UnsafePointer<Float>, ws: ProbeWorkspace, grads: UnsafeMutablePointer<Float>) {
        let d = configuration.hidden
        if let features = headInput(ex) {
            head.backward(v: features, params: params, dLogits: ws.dLogits.pointer, grads: grads, dV: nil)
            return
        }
        let L = tokenStage.count
        let summaries = ws.summaries.pointer, pooled = ws.pooled.pointer
        let dPooled = ws.dPooled.ensure(d), dSummaries = ws.dSummaries.ensure(L * d)
        head.backward(v: pooled, params: params, dLogits: ws.dLogits.pointer, grads: grads, dV: dPooled)
        if layout.totalCount == head.parameterCount { return } // nothing trainable below the head
        dSummaries.update(repeating: 0, count: L * d)
        layerStage.backward(
            x: summaries, rows: L, mask: nil, params: params, cache: ws.layerCache, shared: ws.shared,
            dOut: dPooled, grads: grads, dX: dSummaries)
        for l in 0..<L {
            tokenStage[l].backward(
                x: layerInput(ex, layer: l, ws: ws), rows: ex.tokens, mask: ex.mask, params: params,
                cache: ws.tokenCaches[l], shared: ws.shared, dOut: dSummaries + l * d, grads: grads, dX: nil)
        }
    }

    // MARK: - Batches

    /// Worker count for a batch: one per core, at most one per example. With more than one
    /// worker, OpenBLAS runs single-threaded inside each.
    public static func workerCount(_ examples: Int, requested: Int?) -> Int {
        let cores = requested ?? ProcessInfo.processInfo.activeProcessorCount
        return max(1, min(cores, examples))
    }

    /// Bytes one worker's `ProbeWorkspace` holds after training on (or predicting) examples of up to
    /// `tokens` tokens: every module's cache, the largest use of each shared slot, the layer summaries
    /// and their gradients, and one layer's normalised rows. Workspaces grow to exactly what the
    /// longest example asks for, so this is what a worker keeps for the rest of the run.
    public func workspaceBytes(tokens: Int) -> Int {
        let d = configuration.hidden, L = tokenStage.count
        var floats = 2 * L * d + 2 * d + 2 * head.outputs, indices = 0
        var shared = [0, 0, 0, 0]
        func add(_ w: AggregatorWorkspace) {
            floats += w.cacheFloats
            indices += w.cacheIndices
            for slot in 0..<4 { shared[slot] = max(shared[slot], w.shared[slot]) }
        }
        for module in tokenStage { add(module.workspace(rows: tokens)) }
        add(layerStage.workspace(rows: L))
        if configuration.inputNormalization == .rms { floats += tokens * d }
        return (floats + shared.reduce(0, +)) * MemoryLayout<Float>.stride + indices * MemoryLayout<Int32>.stride
    }

    /// Bytes of the per-worker buffers this probe holds now: workspaces and per-worker gradient sums.
    var workerBufferBytes: Int {
        workspaces.reduce(0) { $0 + $1.byteCount } + workerGradients.reduce(0) { $0 + $1.byteCount }
    }

    private func ensureWorkspaces(_ n: Int) {
        while workspaces.count < n { workspaces.append(ProbeWorkspace()) }
    }

    /// Sums the weighted loss and its parameter gradient over the batch (not normalised).
    /// `gradients` must have `parameterCount` values and is added to. Deterministic for a fixed
    /// worker count: examples are split statically; worker 0 adds its examples' gradients to
    /// `gradients` directly, every other worker sums into its own buffer, and those are added in
    /// worker order (so W workers hold W − 1 extra gradient buffers, not W).
    /// Returns (Σ w_i·loss_i, Σ w_i) with w_i the class weight of example i (1 without weights).
    public func accumulateGradients(
        batch: Batch, classWeights: [Float]?, gradients: inout [Float], workers requested: Int? = nil
    ) throws -> (loss: Double, weight: Double) {
        try checkBatch(batch)
        guard gradients.count == parameterCount else {
            throw ProbeError.shapeMismatch(what: "gradients", expected: [parameterCount], actualCount: gradients.count)
        }
        let workers = Self.workerCount(batch.count, requested: requested)
        ensureWorkspaces(workers)
        while workerGradients.count < workers - 1 { workerGradients.append(FloatScratch(parameterCount)) }
        var losses = [Double](repeating: 0, count: workers), weights = [Double](repeating: 0, count: workers)
        let outputs = head.outputs
        parameters.withUnsafeBufferPointer { pbuf in
            let params = pbuf.baseAddress!
            batch.values.withUnsafeBufferPointer { vbuf in
                batch.mask.withUnsafeBufferPointer { mbuf in
                    batch.features.withUnsafeBufferPointer { fbuf in
                        gradients.withUnsafeMutableBufferPointer { g in
                            let gradPointers =
                                [g.baseAddress!] + (1..<max(1, workers)).map { workerGradients[$0 - 1].ensure(parameterCount) }
                            losses.withUnsafeMutableBufferPointer { lossBuf in
                                weights.withUnsafeMutableBufferPointer { weightBuf in
                                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                                        let grads = gradPointers[w], ws = workspaces[w]
                                        if w > 0 { grads.update(repeating: 0, count: parameterCount) }
                                        var lossSum = 0.0, weightSum = 0.0
                                        var i = w
                                        while i < batch.count {
                                            let label = batch.labels[i]
                                            if label >= 0 {
                                                let ex = ExampleView(
                                                    batch: batch, index: i, values: vbuf.baseAddress, mask: mbuf.baseAddress,
                                                    features: fbuf.baseAddress)
                                                forward(ex, params: params, ws: ws)
                                                let weight = classWeights.map { label < $0.count ? $0[label] : 1 } ?? 1
                                                lossSum += ClassificationLoss.forwardBackward(
                                                    logits: ws.logits.pointer, outputs: outputs, label: label, weight: weight,
                                                    dLogits: ws.dLogits.ensure(outputs))
                                                weightSum += Double(weight)
                                                backward(ex, params: params, ws: ws, grads: grads)
                                            }
                                            i += workers
                                        }
                                        lossBuf[w] = lossSum
                                        weightBuf[w] = weightSum
                                    }
                                }
                            }
                            // Reduce the other workers' sums in worker order (deterministic).
                            for w in 1..<max(1, workers) {
                                let src = gradPointers[w]
                                for j in 0..<parameterCount { g[j] += src[j] }
                            }
                        }
                    }
                }
            }
        }
        return (losses.reduce(0, +), weights.reduce(0, +))
    }

    /// Output of `predict`: class probabilities (B × C) and, for the gate, layer weights (B × L).
    public struct Predictions: Sendable {
        public var probabilities: [Float]
        public var classes: Int
        public var layerWeights: [Float]?
        public var layers: Int
    }

    /// Class probabilities for every example of the batch (and the gate's layer weights α).
    public func predict(batch: Batch, workers requested: Int? = nil) throws -> Predictions {
        try checkBatch(batch)
        let workers = Self.workerCount(batch.count, requested: requested)
        ensureWorkspaces(workers)
        let C = configuration.classes, L = tokenStage.count, outputs = head.outputs
        let collectWeights = hasLayerWeights
        var probabilities = [Float](repeating: 0, count: batch.count * C)
        var layerWeights = [Float](repeating: 0, count: collectWeights ? batch.count * L : 0)
        parameters.withUnsafeBufferPointer { pbuf in
            batch.values.withUnsafeBufferPointer { vbuf in
                batch.mask.withUnsafeBufferPointer { mbuf in
                    batch.features.withUnsafeBufferPointer { fbuf in
                        probabilities.withUnsafeMutableBufferPointer { probBuf in
                            layerWeights.withUnsafeMutableBufferPointer { lwBuf in
                                DispatchQueue.concurrentPerform(iterations: workers) { w in
                                    let ws = workspaces[w]
                                    var i = w
                                    while i < batch.count {
                                        let ex = ExampleView(
                                            batch: batch, index: i, values: vbuf.baseAddress, mask: mbuf.baseAddress,
                                            features: fbuf.baseAddress)
                                        forward(ex, params: pbuf.baseAddress!, ws: ws)
                                        ClassificationLoss.probabilities(
                                            logits: ws.logits.pointer, outputs: outputs, into: probBuf.baseAddress! + i * C)
                                        if collectWeights {
                                            // The layer gate's α over the L layer summaries (cache `b`).
                                            (lwBuf.baseAddress! + i * L).update(from: ws.layerCache.b.pointer, count: L)
                                        }
                                        i += workers
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Predictions(probabilities: probabilities, classes: C, layerWeights: collectWeights ? layerWeights : nil, layers: L)
    }

    private func checkBatch(_ batch: Batch) throws {
        try batch.validate()
        if configuration.kind == .logits || (isHeadOnly && batch.featureWidth > 0) {
            guard batch.featureWidth == head.inputWidth else {
                throw ProbeError.shapeMismatch(
                    what: "batch features", expected: [batch.count, head.inputWidth], actualCount: batch.features.count)
            }
        } else {
            guard batch.layers == tokenStage.count, batch.hidden == configuration.hidden else {
                throw ProbeError.shapeMismatch(
                    what: "batch hidden states", expected: [batch.count, tokenStage.count, batch.tokens, configuration.hidden],
                    actualCount: batch.values.count)
            }
        }
        for (i, label) in batch.labels.enumerated() where label >= configuration.classes {
            throw ProbeError.invalidData(
                source: "batch", record: batch.ids.indices.contains(i) ? batch.ids[i] : "\(i)",
                reason: "label \(label) outside 0..<\(configuration.classes)")
        }
    }
}

/// Pointers to one example inside a batch.
struct ExampleView {
    let values: UnsafePointer<Float>
    let tokens: Int
    let mask: UnsafePointer<UInt8>
    let features: UnsafePointer<Float>?

    init(batch: Batch, index i: Int, values: UnsafePointer<Float>?, mask: UnsafePointer<UInt8>?, features: UnsafePointer<Float>?) {
        let dummy = UnsafePointer<Float>(bitPattern: 16)!
        self.values = values.map { $0 + i * batch.layers * batch.tokens * batch.hidden } ?? dummy
        self.tokens = batch.tokens
        self.mask = mask.map { $0 + i * batch.tokens } ?? UnsafePointer<UInt8>(bitPattern: 16)!
        self.features = batch.featureWidth > 0 ? features.map { $0 + i * batch.featureWidth } : nil
    }
}

/// Per-thread activations and scratch for one example at a time.
final class ProbeWorkspace {
    var tokenCaches: [AggregatorCache] = []
    let layerCache = AggregatorCache()
    let shared = SharedScratch()
    let summaries = FloatScratch(), dSummaries = FloatScratch()
    let pooled = FloatScratch(), dPooled = FloatScratch()
    let logits = FloatScratch(), dLogits = FloatScratch()
    /// One layer's normalised rows (when the probe normalises its input).
    let normalized = FloatScratch()

    func prepare(layers: Int) {
        while tokenCaches.count < layers { tokenCaches.append(AggregatorCache()) }
    }

    /// Bytes of every buffer this workspace holds.
    var byteCount: Int {
        let vectors = [summaries, dSummaries, pooled, dPooled, logits, dLogits, normalized].reduce(0) { $0 + $1.byteCount }
        return tokenCaches.reduce(0) { $0 + $1.byteCount } + layerCache.byteCount + shared.byteCount + vectors
    }
}
