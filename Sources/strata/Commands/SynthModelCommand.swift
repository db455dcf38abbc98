import ArgumentParser
import StrataCapture

/// `strata synth-model`: write a tiny random Llama GGUF model with a BPE tokenizer.
struct SynthModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-model",
        abstract: "Write a tiny seeded random Llama GGUF model with a byte-level BPE tokenizer (to try capture and for tests).",
        discussion:
            "The weights are random: the hidden states are meaningless, but every part of the pipeline (tokenizer, packing, layers, dtypes, sharding, resume) runs as with a real model, in milliseconds."
    )

    @Option(help: "Output .gguf path (overwritten).") var out: String
    @Option(help: "Transformer blocks.") var blocks = 2
    @Option(help: "Hidden size (a multiple of --heads).") var hidden = 32
    @Option(help: "Feed-forward size.") var feedForward = 64
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Key/value heads (must divide --heads).") var kvHeads = 2
    @Option(help: "Context length the model declares (capture's default --max-tokens).") var contextLength = 256
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func validate() throws {
        guard blocks >= 1, hidden >= 2, feedForward >= 1, heads >= 1, kvHeads >= 1, contextLength >= 1 else {
            throw ValidationError("sizes must be positive")
        }
        guard hidden % heads == 0, (hidden / heads) % 2 == 0 else { throw ValidationError("--hidden must be --heads × an even head size") }
        guard heads % kvHeads == 0 else { throw ValidationError("--kv-heads must divide --heads") }
    }

    func run() throws {
        try SyntheticModel(
            blocks: blocks, hidden: hidden, feedForward: feedForward, heads: heads, keyValueHeads: kvHeads,
            contextLength: contextLength, seed: seed
        ).write(to: out)
        print(out)
    }
}
