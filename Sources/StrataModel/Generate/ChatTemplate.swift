/// The ChatML prompt format (`<|im_start|>role\n…<|im_end|>\n`) used by SmolLM2-Instruct and many
/// other instruction-tuned models, with the default system message their GGUF template inserts.
///
/// Only this one format is rendered (no Jinja interpreter): `init(gguf:)` reads the default system
/// message from `tokenizer.chat_template` when that template is ChatML and inserts a system turn
/// "if the first message is not a system message", as SmolLM2's does.
public struct ChatTemplate: Sendable, Equatable {
    /// The name datasets and probe checkpoints record for prompts rendered by this template
    /// (`capture.chat_template` in a capture's metadata, `provenance.chatTemplate` in a probe).
    public static let formatName = "chatml"

    /// System message used when the caller gives none (nil = no system turn).
    public var defaultSystem: String?

    public init(defaultSystem: String? = nil) {
        self.defaultSystem = defaultSystem
    }

    /// The template of a GGUF file: its ChatML default system message, if any.
    public init(gguf file: GGUFFile) {
        self.init(defaultSystem: Self.defaultSystem(in: file.metadata["tokenizer.chat_template"]?.string ?? ""))
    }

    /// The system message a prompt gets: `system` when given (even empty), else the default (nil = no system turn).
    public func systemMessage(_ system: String? = nil) -> String? {
        system ?? defaultSystem
    }

    /// One user turn and the opening of the assistant's turn (`add_generation_prompt`): the text
    /// `strata generate`, `classify --chat-template` and `capture --chat-template` tokenise.
    public func prompt(user: String, system: String? = nil) -> String {
        var text = ""
        if let system = systemMessage(system) { text += "<|im_start|>system\n\(system)<|im_end|>\n" }
        text += "<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n"
        return text
    }

    /// The literal system message a ChatML Jinja template inserts before a first non-system message.
    static func defaultSystem(in template: String) -> String? {
        let opening = "<|im_start|>system\n"
        guard let start = template.range(of: opening),
            let end = template.range(of: "<|im_end|>", range: start.upperBound..<template.endIndex)
        else { return nil }
        let message = String(template[start.upperBound..<end.lowerBound])
        // A message built from template variables is not a literal default.
        return message.contains("{{") || message.contains("'") || message.contains("+") ? nil : message
    }
}
