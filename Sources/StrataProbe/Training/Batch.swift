/// A minibatch (or a chunk of one) as the probes consume it.
///
/// Hidden states are f32, example-major then layer-major: `values[b][l][t][j]` with shape
/// B × L × T × d, where T is the longest record in the batch and shorter records are zero-padded;
/// `mask[b][t]` is 1 for real tokens and 0 for padding. `labels[b]` is the primary label (−1 when
/// unlabelled). For the logit baseline `features` holds B × featureWidth values instead.
public struct Batch: Sendable {
    public var count: Int
    public var layers: Int
    public var tokens: Int
    public var hidden: Int
    public var values: [Float]
    public var mask: [UInt8]
    public var labels: [Int]
    public var ids: [String]
    public var featureWidth: Int
    public var features: [Float]
    /// True when the optimizer should step after this chunk (the logical minibatch is complete).
    public var endsStep: Bool

    public init(
        count: Int, layers: Int, tokens: Int, hidden: Int, values: [Float], mask: [UInt8],
        labels: [Int], ids: [String], featureWidth: Int = 0, features: [Float] = [], endsStep: Bool = true
    ) {
        self.count = count; self.layers = layers; self.tokens = tokens; self.hidden = hidden
        self.values = values; self.mask = mask; self.labels = labels; self.ids = ids
        self.featureWidth = featureWidth; self.features = features; self.endsStep = endsStep
    }

    /// Checks that array sizes agree with the shape.
    public func validate() throws {
        if values.count != count * layers * tokens * hidden {
            throw ProbeError.shapeMismatch(what: "batch values", expected: [count, layers, tokens, hidden], actualCount: values.count)
        }
        if mask.count != count * tokens {
            throw ProbeError.shapeMismatch(what: "batch mask", expected: [count, tokens], actualCount: mask.count)
        }
        if labels.count != count { throw ProbeError.shapeMismatch(what: "batch labels", expected: [count], actualCount: labels.count) }
        if features.count != count * featureWidth {
            throw ProbeError.shapeMismatch(what: "batch features", expected: [count, featureWidth], actualCount: features.count)
        }
    }

    /// Bytes held by the batch's numeric arrays.
    public var byteCount: Int { values.count * 4 + mask.count + features.count * 4 }
}
