import Strata
import StrataModel
import StrataProbe

// Where a `PromptFormat` is recorded: a dataset's metadata `extra` (written by `strata capture`,
// spec/DATASETS.md §8) and a probe checkpoint's provenance (spec/PROBES.md), which copies it from the
// training data.

extension PromptFormat {
    /// `capture.prompt_format`'s value for raw texts (a chat prompt records its template's name).
    static let rawName = "raw"
    /// `provenance.chatTemplate`'s value for raw texts.
    static let provenanceRawName = "none"

    /// The format recorded in a dataset's metadata `extra`; nil = unknown (a dataset not made by `strata capture`).
    ///
    /// `capture.prompt_format` states it (`raw`, or the template's name, whose system message is in
    /// `capture.chat_system`). Captures written before that key existed are read by the rule they were
    /// written with: they carry `capture.input`, and `capture.chat_template` when a template was used.
    public init?(metadataExtra extra: [String: String]) {
        let template: String?
        if let recorded = extra[StrataMetadata.PromptKey.promptFormat] {
            template = recorded == Self.rawName ? nil : recorded
        } else if extra[StrataMetadata.PromptKey.captureInput] != nil {
            template = extra[StrataMetadata.PromptKey.chatTemplate]
        } else {
            return nil
        }
        self = template.map { .chat(template: $0, system: extra[StrataMetadata.PromptKey.chatSystem]) } ?? .raw
    }

    /// The metadata `extra` entries that record this format.
    public var metadataExtra: [String: String] {
        switch self {
        case .raw:
            return [StrataMetadata.PromptKey.promptFormat: Self.rawName]
        case .chat(let template, let system):
            var extra = [StrataMetadata.PromptKey.promptFormat: template, StrataMetadata.PromptKey.chatTemplate: template]
            if let system { extra[StrataMetadata.PromptKey.chatSystem] = system }
            return extra
        }
    }
}

extension TrainingProvenance {
    /// The prompt format of the training data, when the checkpoint records it (nil = unknown: an older
    /// checkpoint, or a dataset not made by `strata capture`).
    public var promptFormat: PromptFormat? {
        get {
            guard let chatTemplate else { return nil }
            return chatTemplate == PromptFormat.provenanceRawName ? .raw : .chat(template: chatTemplate, system: chatSystem)
        }
        set {
            chatTemplate = newValue.map { $0.templateName ?? PromptFormat.provenanceRawName }
            chatSystem = newValue?.system
        }
    }
}
