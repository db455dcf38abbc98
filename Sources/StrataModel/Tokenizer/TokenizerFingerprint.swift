/// Builds a tokenizer's `identity`: SHA-256 over length-prefixed fields, so that no two field lists collide.
struct TokenizerFingerprint {
    private var hasher = SHA256Digest()

    /// Starts with the implementation's version tag (a changed encoding changes the tag).
    init(version: String) {
        field(version)
    }

    mutating func field(_ text: String) {
        let bytes = Array(text.utf8)
        var length = UInt64(bytes.count)
        hasher.update(withUnsafeBytes(of: &length) { Array($0) })
        hasher.update(bytes)
    }

    mutating func fields(_ texts: [String]) {
        field(String(texts.count))
        for text in texts { field(text) }
    }

    /// `sha256:<hex>`.
    mutating func finish() -> String {
        "sha256:" + hasher.finalize()
    }
}
