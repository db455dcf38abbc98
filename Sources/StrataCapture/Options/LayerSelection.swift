import Strata
import StrataUtilities

/// Which hidden states a capture keeps, in Hugging Face `output_hidden_states` numbering: 0 is the
/// embedding output, `l` (1 ≤ l < L) the output of block `l`, and `L` the last block's output after
/// the final norm.
public enum LayerSelection: Sendable, Equatable, CustomStringConvertible {
    /// Every hidden state, 0...L.
    case all
    /// These indices (kept in ascending order, duplicates removed).
    case indices([Int])

    /// Parses `all`, or a comma list of indices and inclusive ranges (`0,5,10`, `0-4,30`); `last`
    /// stands for L (`LayerListSyntax`, the one layer-list syntax). Ranges and `last` are resolved against
    /// the model later (`resolve`).
    public init(parsing text: String) throws {
        let syntax: LayerListSyntax
        do {
            syntax = try LayerListSyntax.parse(text)
        } catch let error as TextParseError {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.layers, value: text, "\(error.reason)"))
        }
        switch syntax {
        case .all:
            self = .all
        case .none:
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.layers, value: text, "no layers given"))
        case .items(let items):
            self = .indices(
                items.map { item in
                    switch item {
                    case .number(let index): return index
                    case .last: return LayerSelection.lastMarker
                    }
                })
        }
    }

    /// Placeholder for `last` until the block count is known.
    static let lastMarker = -1

    /// The selected hidden-state indices for a model with `blocks` blocks, ascending, with their kinds.
    public func resolve(blocks: Int) throws -> [LayerInfo] {
        let all = LayerInfo.huggingFaceHiddenStates(blocks: blocks)
        switch self {
        case .all:
            return all
        case .indices(let raw):
            let resolved = Set(raw.map { $0 == LayerSelection.lastMarker ? blocks : $0 })
            if let bad = resolved.sorted().first(where: { $0 > blocks }) {
                throw CaptureError.invalidSetting(
                    InvalidSetting(
                        CaptureSetting.layers, value: description,
                        "layer \(bad) does not exist: the model has hidden states 0...\(blocks) (0 = embeddings, \(blocks) = after the final norm)"
                    ))
            }
            return resolved.sorted().map { all[$0] }
        }
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .indices(let list): return list.map { $0 == LayerSelection.lastMarker ? "last" : String($0) }.joined(separator: ",")
        }
    }
}
