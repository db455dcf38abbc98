/// One record as the stream delivers it to a consumer (e.g. the probe trainer's batcher).
public struct StreamedRecord: Sendable {
    /// Index of the record in the dataset (over all shards, manifest order).
    public var globalIndex: Int
    public var id: String
    /// Empty when unlabelled; `labels[0]` is the primary label.
    public var labels: [Int]
    public var nTokens: Int
    /// Layers delivered (the stream's layer subset, in the order requested).
    public var layerCount: Int
    public var hidden: Int
    /// f32 values, layer-major: `layerCount × nTokens × hidden`; empty when the stream reads
    /// no values (`StreamOptions.layers == .none`).
    public var values: [Float]
    /// The auxiliary vectors requested in `StreamOptions.auxiliary`, by name.
    public var auxiliary: [String: [Float]]

    /// Values of delivered layer `layer` (0 ..< layerCount), `nTokens × hidden`.
    public func layerSlice(_ layer: Int) -> ArraySlice<Float> {
        let stride = nTokens * hidden
        return values[layer * stride..<(layer + 1) * stride]
    }
}
