import StrataModel

/// Renders OpenAI chat messages with the model's chat template (ChatML, the one format `ChatTemplate`
/// knows): a system turn (the messages' own, else the template's default), the conversation, and the
/// opening of the assistant's turn. A conversation of one user message (after an optional system message)
/// is rendered by `ChatTemplate.prompt(user:system:)` itself, so the server feeds the guard exactly what
/// `strata generate` and `strata capture --chat-template` give it.
enum ChatPrompt {
    static let roles: Set<String> = ["system", "developer", "user", "assistant"]

    /// The prompt text, or an error naming the message at fault (`param` is `messagesField`).
    static func render(_ messages: [ChatMessage], template: ChatTemplate, messagesField: String = "messages") throws -> String {
        guard !messages.isEmpty else { throw ServeAPIError.invalid(messagesField, "give at least one message") }
        for (index, message) in messages.enumerated() where !roles.contains(message.role) {
            throw ServeAPIError.invalid(
                "\(messagesField)[\(index)].role",
                "'\(message.role)' is not one of \(roles.sorted().joined(separator: ", "))")
        }
        var system: String?
        var turns = messages[...]
        if let first = turns.first, first.role == "system" || first.role == "developer" {
            system = first.content
            turns = turns.dropFirst()
        }
        if turns.count == 1, let only = turns.first, only.role == "user" {
            return template.prompt(user: only.content, system: system)
        }
        var text = ""
        if let system = template.systemMessage(system) { text += turn("system", system) }
        for message in turns { text += turn(message.role == "developer" ? "system" : message.role, message.content) }
        return text + "<|im_start|>assistant\n"
    }

    private static func turn(_ role: String, _ content: String) -> String {
        "<|im_start|>\(role)\n\(content)<|im_end|>\n"
    }
}
