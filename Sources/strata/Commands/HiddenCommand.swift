import ArgumentParser
import Foundation
import StrataModel

/// `strata hidden` — runs one text through a GGUF model and saves its hidden states as a NumPy array.
struct HiddenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hidden",
        abstract: "Save one text's hidden states as a float32 .npy of shape [layers, tokens, hidden].",
        discussion: """
            Layer indices follow Hugging Face output_hidden_states: 0 is the embedding output, l the output of \
            block l, and the last one (L) is taken after the final norm.
            """)

    @OptionGroup var modelOptions: ServedModelOptions

    @Option(help: "The text, tokenized with the GGUF file's own tokenizer (same ids as Hugging Face).")
    var text: String?

    @Option(help: "Token ids, comma-separated (e.g. 1,2,3), instead of --text.")
    var ids: CommaSeparated<Int32>?

    @Option(help: "Output .npy file.")
    var out: String

    @Option(
        help: ArgumentHelp(
            "Layers to save, as \(hiddenStateIndicesHelp): all, or a list such as 0,5,10, 0-4 or last, in the order given.",
            valueName: "indices"))
    var layers = LayerListArgument.all

    func validate() throws {
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text and --ids") }
    }

    func run() throws {
        let file = try GGUFFile(path: modelOptions.path)
        let tokens: [Int32]
        if let text {
            tokens = try Tokenizer(gguf: file).encode(text)
            guard !tokens.isEmpty else { throw UsageError("--text: the text has no tokens") }
        } else {
            tokens = ids?.values ?? []
            guard !tokens.isEmpty else { throw UsageError("--ids: no token ids given") }
        }
        let llama = try LlamaModel(gguf: file, threads: modelOptions.threads)
        BLASThreads.set(llama.threads) // one pass: split each product over the pass's threads
        let selected = try layers.hiddenStateIndices(count: llama.numHiddenStates)

        // Layers arrive in increasing order; the file keeps the order the user asked for.
        let writer = try NumpyFileWriter(path: out, shape: [selected.count, tokens.count, llama.config.hiddenSize])
        let collector = SelectedLayers(order: selected)
        _ = try llama.forward(batch: [tokens], request: HiddenStateRequest(layers: selected), sink: collector)
        for layer in selected {
            guard let rows = collector.rows[layer] else { throw UsageError("layer \(layer) was not produced") }
            try rows.withUnsafeBufferPointer { try writer.append($0) }
        }
        try writer.finish()
        print("wrote \(out): [\(selected.count), \(tokens.count), \(llama.config.hiddenSize)] float32; token ids \(tokens)")
    }

    /// Keeps the requested layers of the single sequence.
    final class SelectedLayers: HiddenStateSink {
        var rows: [Int: [Float]] = [:]
        init(order: [Int]) { rows.reserveCapacity(order.count) }
        func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
            self.rows[layer] = Array(rows)
        }
    }
}
