import ArgumentParser
import Strata
import StrataUtilities

// One spelling, one meaning: `--layers` always takes hidden-state indices in Hugging Face
// `output_hidden_states` numbering (0 = embeddings, i = output of block i, the last = after the final
// norm); `--layer-positions` takes positions in a dataset's list of captured layers (0 = the first one
// captured). Both are read by `LayerListSyntax`, the one parser: all, a comma list of numbers, ranges a-b
// and `last`, and `none` where a command can decode no layer.

/// What every `--layers` help line says about the values it takes.
let hiddenStateIndicesHelp = "hidden-state indices (0 = embeddings, i = block i's output, last = after the final norm)"

/// A `--layers` or `--layer-positions` value, checked by the argument parser (so a typo is refused with the
/// flag's usage) and kept as written for the library calls that take the text.
struct LayerListArgument: ExpressibleByArgument, CustomStringConvertible {
    let text: String
    let syntax: LayerListSyntax

    init?(argument: String) {
        guard let syntax = try? LayerListSyntax.parse(argument, allowsNone: true) else { return nil }
        self.init(text: argument, syntax: syntax)
    }

    private init(text: String, syntax: LayerListSyntax) {
        self.text = text
        self.syntax = syntax
    }

    /// Every layer.
    static let all = LayerListArgument(text: "all", syntax: .all)

    var description: String { text }

    /// Hidden-state indices of a model with `count` hidden states, in the order given: `all` is every one,
    /// `last` the final one. Refuses `none`, repeats and indices the model does not have, naming `flag`.
    func hiddenStateIndices(count: Int, flag: String = "--layers") throws -> [Int] {
        switch syntax {
        case .all: return Array(0..<count)
        case .none: throw UsageError("\(flag): 'none' selects no hidden state")
        case .items(let items):
            let indices = items.map { item -> Int in
                if case .number(let index) = item { return index }
                return count - 1
            }
            guard Set(indices).count == indices.count else { throw UsageError("\(flag): an index is repeated") }
            if let bad = indices.first(where: { $0 >= count }) {
                throw UsageError("\(flag): \(bad) is outside 0...\(count - 1)")
            }
            return indices
        }
    }

    /// The stream's layer selection, reading the values as hidden-state indices (`--layers`) of `layers`, or
    /// as positions in it (`--layer-positions`); `last` is the last captured layer.
    func streamSelection(of layers: [LayerInfo], asPositions: Bool, flag: String) throws -> StreamOptions.LayerSelection {
        switch syntax {
        case .all: return .all
        case .none: return .none
        case .items(let items):
            return .positions(
                try items.map { item -> LayerPosition in
                    switch item {
                    case .last:
                        guard !layers.isEmpty else { throw UsageError("\(flag): the dataset has no layers") }
                        return LayerPosition(layers.count - 1)
                    case .number(let number) where asPositions:
                        guard number < layers.count else {
                            throw UsageError(
                                "\(flag): position \(number) is outside 0..<\(layers.count) (the dataset has \(layers.count) captured layers)"
                            )
                        }
                        return LayerPosition(number)
                    case .number(let index):
                        guard let position = layers.firstIndex(where: { $0.index == index }) else {
                            throw UsageError(
                                "\(flag): \(index) is not a captured layer; this dataset has hidden-state indices \(layers.map(\.index))")
                        }
                        return LayerPosition(position)
                    }
                })
        }
    }
}

/// `--layer-count N`: how many layers synthetic records have (synth, bench-format, bench-probes) — a count,
/// so not spelled `--layers`, which takes hidden-state indices. `--layers N` is still read as a hidden,
/// deprecated spelling of it, so older scripts keep working.
struct LayerCountOption: ParsableArguments {
    static let defaultCount = 31

    @Option(
        name: .customLong("layer-count"),
        help: "Layers per record, a count (default: 31, the hidden states of a 30-block model).")
    var layerCount: Int?
    @Option(name: .customLong("layers"), help: ArgumentHelp("Deprecated spelling of --layer-count.", visibility: .hidden))
    var deprecatedLayers: Int?

    var count: Int { layerCount ?? deprecatedLayers ?? Self.defaultCount }

    func validate() throws {
        if layerCount != nil && deprecatedLayers != nil {
            throw ValidationError("give --layer-count once (--layers N is its old spelling)")
        }
        guard count >= 1 else { throw ValidationError("--layer-count must be >= 1") }
    }
}
