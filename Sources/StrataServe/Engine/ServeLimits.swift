/// The bounds a server keeps so that no request can take unbounded memory or time.
public struct ServeLimits: Sendable, Equatable {
    /// Requests admitted and not finished (waiting, generating or in a pass); more get 429 at once.
    public var queueLimit = 64
    /// Generations decoded at the same time, one step each in turn; more wait in the queue.
    public var maxActiveGenerations = 8
    /// New tokens (classify and hidden-state texts, generation prompts) packed into one forward pass; the first
    /// waiting item always goes, and the active generations' decode tokens come on top.
    public var maxBatchTokens = 2048
    /// Largest request body in bytes.
    public var maxBodyBytes = 1 << 20
    /// Longest prompt or text in tokens.
    public var maxPromptTokens = 2048
    /// Largest `max_tokens` a request may ask for.
    public var maxCompletionTokens = 1024
    /// `max_tokens` of a chat request that gives none.
    public var defaultCompletionTokens = 256
    /// Most texts in one classify request.
    public var maxTextsPerRequest = 64
    /// Largest hidden-state payload in bytes (before base64).
    public var maxHiddenStateBytes = 64 << 20
    /// Seconds a request may take from admission to its last byte of work.
    public var requestTimeoutSeconds: Double = 300

    public init() {}
}
