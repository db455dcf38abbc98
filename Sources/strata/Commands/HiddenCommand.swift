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

    @Option(help: "Path to a .gguf file of a supported architecture (strata gguf-info says), or a cached model name such as 'smollm2'.")
    var model: String

    @Option(help: "The text, tokenized with the GGUF file's own tokenizer (same ids as Hugging Face).")
    var text: String?

    @Option(help: "Token ids, comma-separated (e.g. 1,2,3), instead of --text.")
    var ids: String?

    @Option(help: "Output .npy file.")
    var out: String

    @Option(help: "Hidden-state indices: 'all' or a comma-separated list such as 0,5,10.")
    var layers: String = "all"

    @Option(help: "Threads for the forward pass (default: all processors).")
    var threads: Int?

    func validate() throws {
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text and --ids") }
    }

    func run() throws {
        let file = try GGUFFile(path: resolveModelPath(model))
        let tokens: [Int32]
        if let text {
            tokens = try Tokenizer(gguf: file).encode(text)
            guard !tokens.isEmpty else { throw UsageError("--text: the text has no tokens") }
        } else {
            tokens = try parseIntegerList(ids ?? "", flag: "--ids").map { value -> Int32 in
                guard let id = Int32(exactly: value) else { throw UsageError("--ids: \(value) is not a valid token id") }
                return id
            }
            guard !tokens.isEmpty else { throw UsageError("--ids: no token ids given") }
        }
        let llama = try LlamaModel(gguf: file, threads: threads)
        BLASThreads.set(llama.threads)   // one pass: split each product over the pass's threads
        let selected = layers == "all" ? Array(0..<llama.numHiddenStates) : try parseIntegerList(layers, flag: "--layers")
        guard Set(selected).count == selected.count else { throw UsageError("--layers: an index is repeated") }
        for layer in selected where !(0..<llama.numHiddenStates).contains(layer) {
            throw UsageError("--layers: \(layer) is outside 0...\(llama.numHiddenStates - 1)")
        }

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
