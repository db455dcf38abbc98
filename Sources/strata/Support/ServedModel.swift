import Foundation
import StrataCapture
import StrataModel

/// A GGUF model loaded for serving: weights, its tokenizer, its chat template and end-of-turn tokens
/// (shared by `strata classify`, `generate` and `bench serve`).
struct ServedModel {
    let path: String
    let llama: LlamaModel
    let tokenizer: BPETokenizer
    let chat: ChatTemplate

    init(_ model: String, threads: Int?) throws {
        path = resolveModelPath(model)
        let file = try GGUFFile(path: path)
        llama = try LlamaModel(gguf: file, threads: threads)
        tokenizer = try BPETokenizer(gguf: file)
        chat = ChatTemplate(gguf: file)
    }

    /// Token ids of `text`, wrapped in the chat template unless `raw`.
    func encode(_ text: String, raw: Bool, system: String? = nil) -> [Int32] {
        tokenizer.encode(raw ? text : chat.prompt(user: text, system: system))
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
