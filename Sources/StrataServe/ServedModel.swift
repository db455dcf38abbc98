import Foundation
import StrataCapture
import StrataModel
import StrataProbe

/// A GGUF model loaded for serving: weights, its tokenizer, its chat template and end-of-turn tokens
/// (shared by `strata classify`, `generate`, `serve` and `bench serve`).
public struct ServedModel: Sendable {
    public let path: String
    public let llama: LlamaModel
    public let tokenizer: Tokenizer
    public let chat: ChatTemplate

    /// Loads the GGUF file at `path` with `threads` forward-pass threads (nil: the runtime's default).
    public init(path: String, threads: Int?) throws {
        self.path = path
        let file = try GGUFFile(path: path)
        llama = try LlamaModel(gguf: file, threads: threads)
        BLASThreads.set(llama.threads) // one pass at a time: split each product over the pass's threads
        tokenizer = try Tokenizer(gguf: file)
        chat = ChatTemplate(gguf: file)
    }

    /// Token ids of `text`, wrapped in the chat template unless `raw`.
    public func encode(_ text: String, raw: Bool, system: String? = nil) -> [Int32] {
        tokenizer.encode(raw ? text : chat.prompt(user: text, system: system))
    }

    /// How `encode(_:raw:system:)` prepares a text, in the terms datasets and probe checkpoints record.
    public func promptFormat(raw: Bool, system: String?) -> PromptFormat {
        raw ? .raw : chat.promptFormat(system: system)
    }

    /// Warns on stderr when `probe` was trained on texts prepared differently from how this command feeds
    /// them (`hint` says which flag changes that); silent when the checkpoint does not record its format.
    public func warnIfPromptFormatDiffers(_ probe: ServingProbe, raw: Bool, system: String?, hint: String) {
        guard let trained = probe.checkpoint.header.provenance?.promptFormat else { return }
        let served = promptFormat(raw: raw, system: system)
        guard trained != served else { return }
        FileHandle.standardError.write(
            Data(
                ("warning: \(probe.name) was trained on \(trained) but this command feeds it \(served); "
                    + "its probabilities may be off (\(hint))\n").utf8))
    }

    /// Tokens that end the assistant's turn: EOS and, when they are single tokens, `<|im_end|>` and
    /// `<|endoftext|>`.
    public var stopTokens: Set<Int32> {
        var stops = Set<Int32>()
        if let eos = tokenizer.eosID { stops.insert(eos) }
        for marker in ["<|im_end|>", "<|endoftext|>"] {
            let ids = tokenizer.encode(marker, addSpecialTokens: false)
            if ids.count == 1 { stops.insert(ids[0]) }
        }
        return stops
    }

    /// Attaches the probe checkpoint at `path`, warning when its layer map had to be assumed.
    public func attach(probe path: String) throws -> ServingProbe {
        let probe = try ServingProbe(path: path, config: llama.config)
        if probe.layerSource == .assumedAllLayers {
            FileHandle.standardError.write(
                Data(
                    ("warning: \(path) records no layer indices (no training provenance); assuming its dataset captured "
                        + "every hidden state, so probe layer positions \(probe.modelLayers) are read as hidden-state indices\n").utf8))
        }
        return probe
    }
}
