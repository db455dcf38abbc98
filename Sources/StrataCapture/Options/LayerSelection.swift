import Strata

/// Which hidden states a capture keeps, in Hugging Face `output_hidden_states` numbering: 0 is the
/// embedding output, `l` (1 ≤ l < L) the output of block `l`, and `L` the last block's output after
/// the final norm.
public enum LayerSelection: Sendable, Equatable, CustomStringConvertible {
    /// Every hidden state, 0...L.
    case all
    /// These indices (kept in ascending order, duplicates removed).
    case indices([Int])

    /// Parses `all`, or a comma list of indices and inclusive ranges (`0,5,10`, `0-4,30`); `last`
    /// stands for L. Ranges and `last` are resolved against the model later (`resolve`).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "all" { self = .all; return }
        var indices: [Int] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.lowercased() == "last" { indices.append(LayerSelection.lastMarker); continue }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0, low <= high {
                indices += Array(low...high)
            } else if let index = Int(item), index >= 0 {
                indices.append(index)
            } else {
                throw CaptureError.invalidOption(flag: "--layers", value: text,
                                                 why: "expected 'all' or a comma list of layer indices and ranges such as 0,5,10 or 0-4,last")
            }
        }
        guard !indices.isEmpty else {
            throw CaptureError.invalidOption(flag: "--layers", value: text, why: "no layers given")
        }
        self = .indices(indices)
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
                throw CaptureError.invalidOption(flag: "--layers", value: description,
                                                 why: "layer \(bad) does not exist: the model has hidden states 0...\(blocks) (0 = embeddings, \(blocks) = after the final norm)")
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
