/// What one captured layer entry is (Hugging Face `output_hidden_states` semantics by default).
public struct LayerInfo: Codable, Sendable, Equatable {
    /// Model hidden-state index: 0 = embeddings, l = output of block l, n_blocks = after the final norm.
    public var index: Int
    /// "embedding" | "block" | "final_norm", or `unknownKind` when nothing says what the layer is.
    public var kind: String

    /// The kind of a layer whose meaning was not recorded (e.g. an HDF5 import without Strata metadata).
    public static let unknownKind = "unknown"

    public init(index: Int, kind: String) {
        self.index = index
        self.kind = kind
    }

    /// The full Hugging Face `output_hidden_states` list for a model with `blocks` transformer blocks:
    /// entry 0 the embeddings, entries 1..<blocks the block outputs, the last entry after the final norm.
    public static func huggingFaceHiddenStates(blocks: Int) -> [LayerInfo] {
        guard blocks > 0 else { return [LayerInfo(index: 0, kind: "embedding")] }
        var layers = [LayerInfo(index: 0, kind: "embedding")]
        for l in 1..<blocks { layers.append(LayerInfo(index: l, kind: "block")) }
        layers.append(LayerInfo(index: blocks, kind: "final_norm"))
        return layers
    }
}
