/// How texts became the token ids a model saw: tokenised as given, or wrapped as the user turn of a chat
/// template first. Hidden states of the same text differ between the two, so a probe trained on one and
/// served on the other silently sees something else; datasets and probe checkpoints record the format
/// (`PromptFormat+Records.swift` in StrataCapture) so the serving commands can warn.
public enum PromptFormat: Sendable, Equatable, CustomStringConvertible {
    /// The texts as given.
    case raw
    /// Each text as the user turn of `template` (a `ChatTemplate.formatName`), after a system turn with
    /// `system` (nil = no system turn), ending with the opening of the assistant's turn.
    case chat(template: String, system: String?)

    /// The template's name; nil for raw texts.
    public var templateName: String? {
        if case .chat(let template, _) = self { return template }
        return nil
    }

    /// The system message of a chat prompt; nil for raw texts or no system turn.
    public var system: String? {
        if case .chat(_, let system) = self { return system }
        return nil
    }

    public var description: String {
        switch self {
        case .raw: return "raw texts (no chat template)"
        case .chat(let template, nil): return "the \(template) chat template without a system turn"
        case .chat(let template, let system?): return "the \(template) chat template with system message \"\(system)\""
        }
    }
}

extension ChatTemplate {
    /// The format of prompts this template renders as a user turn with `system` (nil = the template's
    /// default system message): what `capture --chat-template` records and `classify`/`generate` serve.
    public func promptFormat(system: String? = nil) -> PromptFormat {
        .chat(template: Self.formatName, system: systemMessage(system))
    }
}
