import Strata

/// How a dataset's token ids were made from its texts: tokenised as read, or wrapped as a user turn in a
/// chat template first (`strata capture --chat-template`). A probe reads hidden states of the tokens it
/// was trained on, so serving it on texts prepared differently (`classify` without `--chat-template`,
/// `generate --raw`, or the reverse) silently changes what it sees; recording the format in the dataset
/// metadata and the probe's provenance lets the serving commands warn.
public struct PromptFormat: Sendable, Equatable, CustomStringConvertible {
    /// Dataset metadata `extra` key: the template's name (absent = raw texts).
    public static let templateKey = StrataMetadata.PromptKey.chatTemplate
    /// Dataset metadata `extra` key: the system message (absent = no system turn).
    public static let systemKey = StrataMetadata.PromptKey.chatSystem
    /// `provenance.chatTemplate` value for raw texts.
    static let rawName = "none"

    /// Template name (`chatml`); nil = raw texts.
    public var chatTemplate: String?
    /// System message rendered before the user turn (nil = none); only meaningful with a template.
    public var system: String?

    public static let raw = PromptFormat(chatTemplate: nil, system: nil)

    public init(chatTemplate: String?, system: String?) {
        self.chatTemplate = chatTemplate
        self.system = chatTemplate == nil ? nil : system
    }

    /// The format of a dataset from its metadata `extra`; nil (unknown) unless `strata capture` made it.
    public init?(metadataExtra extra: [String: String]) {
        guard extra["capture.input"] != nil else { return nil }
        self.init(chatTemplate: extra[Self.templateKey], system: extra[Self.systemKey])
    }

    /// The metadata `extra` entries that record this format (none for raw texts).
    public var metadataExtra: [String: String] {
        guard let chatTemplate else { return [:] }
        var extra = [Self.templateKey: chatTemplate]
        if let system { extra[Self.systemKey] = system }
        return extra
    }

    public var description: String {
        guard let chatTemplate else { return "raw texts (no chat template)" }
        guard let system else { return "the \(chatTemplate) chat template without a system turn" }
        return "the \(chatTemplate) chat template with system message \"\(system)\""
    }
}

extension TrainingProvenance {
    /// The prompt format of the training data, when the checkpoint records it (nil = unknown: an older
    /// checkpoint, or a dataset not made by `strata capture`).
    public var promptFormat: PromptFormat? {
        get {
            guard let chatTemplate else { return nil }
            return PromptFormat(chatTemplate: chatTemplate == PromptFormat.rawName ? nil : chatTemplate, system: chatSystem)
        }
        set {
            chatTemplate = newValue.map { $0.chatTemplate ?? PromptFormat.rawName }
            chatSystem = newValue?.system
        }
    }
}
