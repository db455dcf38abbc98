import Dispatch
import Foundation
import StrataModel
import StrataProbe

/// A trained probe attached to a model's hidden-state tap: it classifies a text from the same forward
/// pass that serves it, summarising each layer as the pass emits it (no dataset is written and the
/// `L × T × d` tensor is never held).
///
/// A checkpoint's `configuration.layers` are positions in the *training dataset's* layer list; the
/// model hidden-state index of each comes from `provenance.layerIndices` (recorded by `strata train`).
/// A checkpoint without provenance is taken to come from a dataset that captured every layer, so that
/// position = hidden-state index (`layerSource == .assumedAllLayers`).
///
/// Use: `begin(tokens:)`, run a forward pass with `request` and this object as the sink, `finish()`;
/// or `classify(model:tokens:)`, which does the three. One example at a time.
public final class ServingProbe: HiddenStateSink {
    /// Where the layer mapping came from.
    public enum LayerSource: String, Sendable {
        case provenance
        case assumedAllLayers = "assumed-all-layers"
    }

    public let checkpoint: ProbeCheckpoint
    /// Path or name used in messages.
    public let name: String
    public let live: LiveProbe
    /// Model hidden-state index read by each probe slot (parallel to `configuration.layers`).
    public let modelLayers: [Int]
    public let layerSource: LayerSource
    /// For each model hidden-state index, the dataset positions it feeds.
    private let positionsOfModelLayer: [Int: [Int]]
    /// Nanoseconds spent inside the probe (layer summaries, layer stage, head) for the current or last
    /// example: the latency the probe adds to a pass, since the tap calls it synchronously.
    public private(set) var busyNanoseconds: UInt64 = 0

    /// Attaches `checkpoint` to a model described by `config`; throws `ServingError` when the probe
    /// cannot read this model's hidden states.
    public init(checkpoint: ProbeCheckpoint, name: String, config: LlamaConfig) throws {
        self.checkpoint = checkpoint
        self.name = name
        let c = checkpoint.header.configuration
        if c.kind == .logits {
            modelLayers = []
            layerSource = .provenance
            guard c.featureName == "next_token_logprobs", c.featureWidth == config.vocabularySize else {
                throw ServingError.featureMismatch(
                    probe: name,
                    reason: "it reads '\(c.featureName ?? "")' of width \(c.featureWidth ?? 0); "
                        + "the model gives next_token_logprobs of width \(config.vocabularySize)")
            }
        } else {
            guard c.hidden == config.hiddenSize else {
                throw ServingError.hiddenSizeMismatch(probe: name, probeHidden: c.hidden, modelHidden: config.hiddenSize)
            }
            if let indices = checkpoint.header.provenance?.layerIndices, indices.count == c.layers.count {
                modelLayers = indices
                layerSource = .provenance
            } else {
                modelLayers = c.layers
                layerSource = .assumedAllLayers
            }
            for layer in modelLayers where layer < 0 || layer >= config.numHiddenStates {
                throw ServingError.layerOutOfRange(probe: name, layer: layer, numHiddenStates: config.numHiddenStates)
            }
        }
        live = LiveProbe(probe: try checkpoint.makeProbe())
        var positions: [Int: [Int]] = [:]
        for (slot, layer) in modelLayers.enumerated() { positions[layer, default: []].append(c.layers[slot]) }
        positionsOfModelLayer = positions
    }

    /// Reads a checkpoint file and attaches it (see `init(checkpoint:name:config:)`).
    public convenience init(path: String, config: LlamaConfig) throws {
        try self.init(checkpoint: try ProbeCheckpoint.read(from: path), name: path, config: config)
    }

    /// The hidden states (and log-probabilities) the forward pass must hand out for this probe.
    public var request: HiddenStateRequest {
        HiddenStateRequest(layers: Array(Set(modelLayers)).sorted(), wantLastLogProbs: live.needsFeatures)
    }

    /// The decision threshold on P(class 1) of a binary probe: `explicit`, else the one stored in the
    /// checkpoint (chosen on validation), else 0.5. nil for multi-class probes (argmax).
    public func threshold(_ explicit: Float? = nil) -> Float? {
        checkpoint.header.configuration.classes == 2 ? (explicit ?? checkpoint.header.threshold ?? 0.5) : nil
    }

    /// Starts an example of `tokens` tokens.
    public func begin(tokens: Int) throws {
        busyNanoseconds = 0
        try live.beginExample(tokens: tokens)
    }

    public func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
        guard let positions = positionsOfModelLayer[layer] else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { busyNanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        for position in positions { try live.consumeLayer(position: position, rows: rows) }
    }

    public func receiveLastLogProbs(sequence: Int, logProbs: UnsafeBufferPointer<Float>) throws {
        try live.consumeFeatures(logProbs)
    }

    /// Feeds the logit baseline from raw output logits (log-softmax taken here); other kinds ignore it.
    public func receiveLastLogits(_ logits: [Float]) throws {
        guard live.needsFeatures else { return }
        var logProbs = logits
        let count = logProbs.count
        var maximum = -Float.infinity
        for value in logProbs { maximum = max(maximum, value) }
        var total: Double = 0
        for value in logProbs { total += exp(Double(value - maximum)) }
        let shift = maximum + Float(log(total))
        for i in 0..<count { logProbs[i] -= shift }
        try logProbs.withUnsafeBufferPointer { try live.consumeFeatures($0) }
    }

    /// The verdict on the example whose layers were received since `begin`.
    public func finish(threshold explicit: Float? = nil) throws -> ProbeVerdict {
        let start = DispatchTime.now().uptimeNanoseconds
        let output = try live.finish()
        busyNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        let classes = checkpoint.header.configuration.classes
        let threshold = threshold(explicit)
        let predicted = Metrics.predictions(probabilities: output.probabilities, classes: classes, threshold: threshold)[0]
        let names = checkpoint.header.labelNames
        return ProbeVerdict(
            probability: classes == 2 ? output.probabilities[1] : output.probabilities[predicted],
            probabilities: output.probabilities, predicted: predicted,
            label: names.flatMap { predicted < $0.count ? $0[predicted] : nil }, threshold: threshold,
            layerWeights: output.layerWeights)
    }

    /// Classifies one token sequence with a forward pass of `model` that hands out only the layers
    /// this probe reads.
    public func classify(model: LlamaModel, tokens: [Int32], threshold: Float? = nil) throws -> ProbeVerdict {
        try begin(tokens: tokens.count)
        _ = try model.forward(batch: [tokens], request: request, sink: self)
        return try finish(threshold: threshold)
    }
}

/// A probe's decision on one example.
public struct ProbeVerdict: Sendable, Equatable, Codable {
    /// P(class 1) for binary probes; the predicted class's probability otherwise.
    public var probability: Float
    /// All class probabilities.
    public var probabilities: [Float]
    /// Predicted class (binary: probability >= threshold).
    public var predicted: Int
    /// The predicted class's name when the checkpoint stores label names.
    public var label: String?
    /// Threshold used for a binary probe.
    public var threshold: Float?
    /// The gate's layer weights α (gate probes).
    public var layerWeights: [Float]?

    /// Whether a binary guard flags the example (class 1 predicted).
    public var flagged: Bool { predicted == 1 }
}
