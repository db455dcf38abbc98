extension StrataMetadata {
    /// `extra` keys that change what the stored hidden states mean, so datasets that disagree on them
    /// must not be combined (`strata merge` refuses) and a probe trained on one should not be served on
    /// the other. `strata capture --chat-template` writes them (spec/DATASETS.md §8); absent = raw texts.
    public enum PromptKey {
        /// The chat template the texts were wrapped in as a user turn (e.g. `chatml`).
        public static let chatTemplate = "capture.chat_template"
        /// The system message rendered before the user turn (absent = no system turn).
        public static let chatSystem = "capture.chat_system"
        /// Every key above, in the order merge reports them.
        public static let all = [chatTemplate, chatSystem]
    }
}
