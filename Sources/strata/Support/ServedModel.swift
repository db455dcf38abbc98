import Foundation
import StrataCapture
import StrataModel
import StrataProbe

/// A GGUF model loaded for serving: weights, its tokenizer, its chat template and end-of-turn tokens
/// (shared by `strata classify`, `generate` and `bench serve`).
struct ServedModel {
    let path: String
    let llama: LlamaModel
    let tokenizer: Tokenizer
    let chat: ChatTemplate

    init(_ model: String, threads: Int?) throws {
        path = resolveModelPath(model)
        let file = try GGUFFile(path: path)
        llama = try LlamaModel(gguf: file, threads: threads)
        BLASThreads.set(llama.threads)   // one pass at a time: split each product over the pass's threads
        tokenizer = try Tokenizer(gguf: file)
        chat = ChatTemplate(gguf: file)
    }

    /// Token ids of `text`, wrapped in the chat template unless `raw`.
    func encode(_ text: String, raw: Bool, system: String? = nil) -> [Int32] {
        tokenizer.encode(raw ? text : chat.prompt(user: text, system: system))
    }

    /// How `encode(_:raw:system:)` prepares a text, in the terms datasets and probe checkpoints record.
    func promptFormat(raw: Bool, system: String?) -> PromptFormat {
        raw ? .raw : PromptFormat(template: chat, system: system)
    }

    /// Warns on stderr when `probe` was trained on texts prepared differently from how this command feeds
    /// them (`hint` says which flag changes that); silent when the checkpoint does not record its format.
    func warnIfPromptFormatDiffers(_ probe: ServingProbe, raw: Bool, system: String?, hint: String) {
        guard let trained = probe.checkpoint.header.provenance?.promptFormat else { return }
        let served = promptFormat(raw: raw, system: system)
        guard trained != served else { return }
        FileHandle.standardError.write(Data((
            "warning: \(probe.name) was trained on \(trained) but this command feeds it \(served); "
            + "its probabilities may be off (\(hint))\n").utf8))
    }

    /// Tokens that end the assistant's turn: EOS and, when they are single tokens, `<|im_end|>` and
    /// `<|endoftext|>`.
    var stopTokens: Set<Int32> {
        var stops = Set<Int32>()
        if let eos = tokenizer.eosID { stops.insert(eos) }
        for marker in ["<|im_end|>", "<|endoftext|>"] {
            let ids = tokenizer.encode(marker, addSpecialTokens: false)
            if ids.count == 1 { stops.insert(ids[0]) }
        }
        return stops
    }

    /// Attaches the probe checkpoint at `path`, warning when its layer map had to be assumed.
    func attach(probe path: String) throws -> ServingProbe {
        let probe = try ServingProbe(path: path, config: llama.config)
        if probe.layerSource == .assumedAllLayers {
            FileHandle.standardError.write(Data((
                "warning: \(path) records no layer indices (no training provenance); assuming its dataset captured "
                + "every hidden state, so probe layer positions \(probe.modelLayers) are read as hidden-state indices\n").utf8))
        }
        return probe
    }
}

/// One JSON object on one line (sorted keys), for `--json` output.
func jsonLine(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
