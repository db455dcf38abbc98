/// Runs a trained probe on one example whose hidden states arrive layer by layer, as a forward pass
/// produces them ("single-pass classification").
///
/// Call `beginExample(tokens:)`, then `consumeLayer(position:rows:)` once for every layer the probe
/// reads (any order), then `finish()`. Each layer's token-stage summary (pooling, gate or MHA over its
/// `tokens × d` rows) is computed inside `consumeLayer`, so the caller may reuse the rows right after
/// the call and the full `L × T × d` tensor is never held: the probe keeps only the `L × d` summaries
/// plus one layer's scratch. `finish()` runs the layer stage and the head.
///
/// The arithmetic is exactly `Probe.predict(batch:)` on a one-example batch (same modules, same
/// order, a mask of ones), so the probabilities agree up to the thread-dependence of BLAS rounding.
/// Not thread-safe: one example at a time per instance.
public final class LiveProbe {
    /// The wrapped probe (its parameters are read, never changed).
    public let probe: Probe
    /// What `finish()` returns.
    public struct Output: Sendable, Equatable {
        /// Class probabilities (C values; `[1 − p, p]` for binary probes).
        public var probabilities: [Float]
        /// The head's logits (1 for binary probes, C otherwise).
        public var logits: [Float]
        /// The gate's layer weights α over the probe's layers (gate probes only).
        public var layerWeights: [Float]?
    }

    private let workspace = ProbeWorkspace()
    private let tokenCache = AggregatorCache()
    private let mask = ByteScratch()
    private var tokens = 0
    private var filled: [Bool]
    private var haveFeatures = false
    private var started = false
    /// For each dataset position, the probe slots (indices into `configuration.layers`) that read it.
    private let slotsOfPosition: [Int: [Int]]

    public init(probe: Probe) {
        self.probe = probe
        var slots: [Int: [Int]] = [:]
        for (slot, position) in probe.configuration.layers.enumerated() { slots[position, default: []].append(slot) }
        slotsOfPosition = slots
        filled = [Bool](repeating: false, count: probe.configuration.kind == .logits ? 0 : probe.configuration.layers.count)
    }

    /// Dataset layer positions the probe reads, in slot order (`ProbeConfiguration.layers`).
    public var positions: [Int] { probe.configuration.kind == .logits ? [] : probe.configuration.layers }

    /// Whether the probe needs the last position's next-token log-probabilities (the logit baseline).
    public var needsFeatures: Bool { probe.configuration.kind == .logits }

    /// Starts a new example of `tokens` tokens, discarding any unfinished one.
    public func beginExample(tokens: Int) throws {
        guard tokens > 0 else {
            throw ProbeError.invalidData(source: "live probe", record: nil, reason: "an example needs at least one token")
        }
        self.tokens = tokens
        let ones = mask.ensure(tokens)
        ones.update(repeating: 1, count: tokens)
        for i in filled.indices { filled[i] = false }
        haveFeatures = false
        started = true
    }

    /// Summarises one layer of the current example: `rows` holds `tokens × hidden` f32 values
    /// (row-major) of dataset layer `position`. Positions the probe does not read are ignored.
    public func consumeLayer(position: Int, rows: UnsafeBufferPointer<Float>) throws {
        guard started else { throw misuse("consumeLayer before beginExample") }
        guard let slots = slotsOfPosition[position] else { return }
        let d = probe.configuration.hidden
        guard rows.count == tokens * d, let x = rows.baseAddress else {
            throw ProbeError.shapeMismatch(what: "live layer \(position)", expected: [tokens, d], actualCount: rows.count)
        }
        let summaries = workspace.summaries.ensure(filled.count * d)
        let maskPointer = UnsafePointer(mask.pointer)
        let input = probe.tokenStageInput(x, tokens: tokens, mask: maskPointer, ws: workspace)
        probe.parameters.withUnsafeBufferPointer { parameters in
            for slot in slots {
                probe.tokenStage[slot].forward(
                    x: input, rows: tokens, mask: maskPointer, params: parameters.baseAddress!,
                    cache: tokenCache, shared: workspace.shared, out: summaries + slot * d)
                filled[slot] = true
            }
        }
    }

    /// Gives the logit baseline its feature vector (the last position's next-token log-probabilities).
    public func consumeFeatures(_ features: UnsafeBufferPointer<Float>) throws {
        guard started else { throw misuse("consumeFeatures before beginExample") }
        guard needsFeatures else { return }
        let width = probe.configuration.featureWidth ?? 0
        guard features.count == width, let source = features.baseAddress else {
            throw ProbeError.shapeMismatch(what: "live features", expected: [width], actualCount: features.count)
        }
        workspace.pooled.ensure(width).update(from: source, count: width)
        haveFeatures = true
    }

    /// Runs the layer stage and the head over the summaries of the current example.
    public func finish() throws -> Output {
        guard started else { throw misuse("finish before beginExample") }
        started = false
        let c = probe.configuration
        let outputs = c.outputs
        let logits = workspace.logits.ensure(outputs)
        var layerWeights: [Float]? = nil
        try probe.parameters.withUnsafeBufferPointer { buffer in
            let parameters = buffer.baseAddress!
            if c.kind == .logits {
                guard haveFeatures else { throw misuse("the logit baseline needs consumeFeatures before finish") }
                probe.head.forward(v: workspace.pooled.pointer, params: parameters, logits: logits)
                return
            }
            if let missing = filled.firstIndex(of: false) {
                throw ProbeError.invalidData(
                    source: "live probe", record: nil,
                    reason: "layer position \(c.layers[missing]) was not delivered before finish")
            }
            let d = c.hidden, layers = filled.count
            let pooled = workspace.pooled.ensure(d)
            probe.layerStage.forward(
                x: workspace.summaries.pointer, rows: layers, mask: nil, params: parameters,
                cache: workspace.layerCache, shared: workspace.shared, out: pooled)
            probe.head.forward(v: pooled, params: parameters, logits: logits)
            if probe.hasLayerWeights {
                layerWeights = Array(UnsafeBufferPointer(start: workspace.layerCache.b.pointer, count: layers))
            }
        }
        var probabilities = [Float](repeating: 0, count: c.classes)
        probabilities.withUnsafeMutableBufferPointer { p in
            ClassificationLoss.probabilities(logits: logits, outputs: outputs, into: p.baseAddress!)
        }
        return Output(
            probabilities: probabilities, logits: Array(UnsafeBufferPointer(start: logits, count: outputs)),
            layerWeights: layerWeights)
    }

    /// Bytes of scratch the live probe holds now (summaries, one layer's activations, masks), not
    /// counting the parameters (`probe.parameterCount × 4`).
    public var scratchBytes: Int {
        let floats = [
            workspace.summaries, workspace.pooled, workspace.logits,
            workspace.layerCache.a, workspace.layerCache.b, workspace.layerCache.c,
            workspace.shared.s1, workspace.shared.s2, workspace.shared.s3, workspace.shared.s4,
            tokenCache.a, tokenCache.b, tokenCache.c
        ].reduce(0) { $0 + $1.capacity }
        return floats * 4 + (tokenCache.indices.capacity + workspace.layerCache.indices.capacity) * 4 + mask.capacity
    }

    private func misuse(_ what: String) -> ProbeError {
        .invalidData(source: "live probe", record: nil, reason: what)
    }
}

/// A growable byte buffer (the all-ones token mask of the current example).
private final class ByteScratch {
    private(set) var pointer: UnsafeMutablePointer<UInt8> = .allocate(capacity: 1)
    private(set) var capacity = 1

    deinit { pointer.deallocate() }

    func ensure(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity * 2)
            pointer = .allocate(capacity: capacity)
        }
        return pointer
    }
}
