extension StrataMetadata {
    /// `extra` keys that say how a dataset's texts became token ids (spec/DATASETS.md §8). Datasets that
    /// disagree on the template or system message must not be combined (`strata merge` refuses), and a probe
    /// trained on one should not be served on the other.
    public enum PromptKey {
        /// The prompt format, stated: `raw`, or the chat template the texts were wrapped in as a user turn
        /// (e.g. `chatml`). Written by `strata capture`; older captures lack it (`captureInput` then tells
        /// that a capture made the dataset, and `chatTemplate`'s presence which format).
        public static let promptFormat = "capture.prompt_format"
        /// The chat template the texts were wrapped in as a user turn (e.g. `chatml`); absent for raw texts.
        public static let chatTemplate = "capture.chat_template"
        /// The system message rendered before the user turn (absent = no system turn).
        public static let chatSystem = "capture.chat_system"
        /// The input file's name: present in every capture's metadata.
        public static let captureInput = "capture.input"
        /// The keys `strata merge` compares, in the order it reports them: together they fix the format of
        /// old and new captures alike (`promptFormat` restates what they say).
        public static let all = [chatTemplate, chatSystem]
    }
}
