import StrataModel

/// Turns generated tokens into text pieces as they arrive: each piece is what decodes completely so far
/// beyond the text already handed out (a multi-byte character may span tokens, so a piece waits until
/// the decoded text no longer ends in U+FFFD). `strata generate` prints the pieces; the server streams
/// them as SSE deltas.
public struct StreamingDetokenizer {
    private let tokenizer: Tokenizer
    private var tokens: [Int32] = []
    /// The text handed out so far.
    public private(set) var emitted = ""

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds `token` and returns the new text it completes ("" when none yet).
    public mutating func append(_ token: Int32) -> String {
        tokens.append(token)
        return take(tokenizer.decode(tokens), final: false)
    }

    /// The text not handed out yet, once no more tokens will come.
    public mutating func finish() -> String {
        take(tokenizer.decode(tokens), final: true)
    }

    private mutating func take(_ text: String, final: Bool) -> String {
        guard final || !text.hasSuffix("\u{FFFD}"), text.hasPrefix(emitted) else { return "" }
        let piece = String(text.dropFirst(emitted.count))
        emitted = text
        return piece
    }
}
