/// Splits text into the pieces ("words") that BPE merges are applied within, as the regex of a model
/// family would — written as a hand scanner over Unicode scalars rather than a regex engine.
///
/// Families (the regexes they reproduce, as Hugging Face `tokenizers` and llama.cpp state them):
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `gpt2IsolatedDigits`: every `\p{N}` scalar is its own piece first, then `gpt2` on each stretch between
///   them (SmolLM2's and StarCoder's `tokenizer.json`: `Digits(individual_digits)` + `ByteLevel`; llama.cpp's
///   `smollm`/`starcoder`).
/// - `llama3`: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}`
///   `| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// - `qwen2`: as `llama3` but `\p{N}` (one digit per piece) instead of `\p{N}{1,3}`. (Qwen2's `tokenizer.json`
///   also NFC-normalizes the text first; llama.cpp does not, and neither does Strata.)
///
/// The contractions are matched case-insensitively as in the published `tokenizer.json` (`(?i:'s|…)`, so `'ſ`
/// counts as `'s`); llama.cpp spells them `'[sS]|…`, which differs only on such case-folded letters.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case gpt2IsolatedDigits
    case llama3
    case qwen2

    /// What a GGUF `tokenizer.ggml.pre` name means, as llama.cpp's table (`src/llama-vocab.cpp`) says, which
    /// reproduces the pre-tokenizer sequence of each model's published `tokenizer.json`.
    public struct Reading: Sendable, Equatable {
        public let family: PreTokenizer
        /// A piece that is itself a token is kept whole rather than merged from its bytes (the
        /// `ignore_merges` of Llama 3's `tokenizer.json`; llama.cpp sets it for the llama-bpe names).
        public let ignoresMerges: Bool
        /// Whether BOS is added when the file has no `tokenizer.ggml.add_bos_token` (llama.cpp's default).
        public let addsBOSByDefault: Bool
    }

    /// The reading of a `tokenizer.ggml.pre` name, or nil for a name Strata does not implement.
    ///
    /// Not Hugging Face transformers' reading of a GGUF file (`from_pretrained(dir, gguf_file:)`), which has
    /// no regex for `smollm`/`starcoder` and falls back to GPT-2's, leaving out their digit split.
    public static func reading(forGGUFName name: String) -> Reading? {
        switch name {
        case "gpt-2", "gpt2": // llama.cpp's name is "gpt-2"; "gpt2" is accepted too
            return Reading(family: .gpt2, ignoresMerges: false, addsBOSByDefault: false)
        case "smollm", "starcoder":
            return Reading(family: .gpt2IsolatedDigits, ignoresMerges: false, addsBOSByDefault: false)
        case "llama-bpe", "llama3", "llama-v3", "falcon3":
            return Reading(family: .llama3, ignoresMerges: true, addsBOSByDefault: true)
        case "smaug-bpe", "dbrx":
            return Reading(family: .llama3, ignoresMerges: false, addsBOSByDefault: false)
        case "qwen2", "deepseek-r1-qwen":
            return Reading(family: .qwen2, ignoresMerges: false, addsBOSByDefault: false)
        default:
            return nil
        }
    }

    /// The family a `tokenizer.ggml.pre` name stands for (`reading(forGGUFName:)?.family`).
    public static func family(forGGUFName name: String) -> PreTokenizer? {
        reading(forGGUFName: name)?.family
    }

    /// Every `tokenizer.ggml.pre` name `reading(forGGUFName:)` accepts.
    public static let supportedNames = [
        "gpt-2", "gpt2", "smollm", "starcoder", "llama-bpe", "llama3", "llama-v3", "falcon3", "smaug-bpe", "dbrx",
        "qwen2", "deepseek-r1-qwen"
    ]

    /// Splits `text` and returns the pieces (for tests and inspection; `BPETokenizer` uses the scanner
    /// directly on its buffers).
    public func split(_ text: String) -> [String] {
        var scanner = PreTokenizerScanner()
        let bytes = Array(text.utf8)
        var pieces: [String] = []
        bytes.withUnsafeBufferPointer { buffer in
            scanner.split(buffer, range: 0..<buffer.count, family: self) { range in
                pieces.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self))
            }
        }
        return pieces
    }
}
