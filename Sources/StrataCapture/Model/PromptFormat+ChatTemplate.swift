import StrataModel
import StrataProbe

extension PromptFormat {
    /// The format of prompts rendered by `template` as a user turn with `system` (nil = the template's
    /// default system message): what `capture --chat-template` records and `classify`/`generate` serve.
    public init(template: ChatTemplate, system: String?) {
        self.init(chatTemplate: ChatTemplate.formatName, system: template.systemMessage(system))
    }
}
