/// Splits text into the pieces ("words") that BPE merges are applied within, as the regex of a model
/// family would — written as a hand scanner over Unicode scalars rather than a regex engine.
///
/// Families (the regexes they reproduce, as Hugging Face `tokenizers` and llama.cpp state them):
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `gpt2IsolatedDigits`: every `\p{N}` scalar is its own piece first, then `gpt2` on the rest
///   (llama.cpp's `smollm`/`starcoder` pre-tokenizer, and SmolLM2's own `tokenizer.json`:
///   `Digits(individual_digits)` + `ByteLevel`).
/// - `llama3`: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}`
///   `| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// - `qwen2`: as `llama3` but `\p{N}` (one digit per piece) instead of `\p{N}{1,3}`.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case gpt2IsolatedDigits
    case llama3
    case qwen2

    /// How a GGUF `tokenizer.ggml.pre` name is read. The two differ only for `smollm`/`starcoder`, and
    /// there only on whitespace runs before a number (`"a  123"`, `" ½"`): 13 of the 33,530 RT+IMDB reviews.
    public enum Reference: String, Sendable {
        /// What Hugging Face transformers builds from the GGUF file
        /// (`AutoTokenizer.from_pretrained(dir, gguf_file:)`): names it has no regex for, such as
        /// `smollm`, get GPT-2's byte-level regex. The default.
        case transformersGGUF
        /// What llama.cpp runs for the name, which for `smollm` is also SmolLM2's own `tokenizer.json`
        /// (`Digits(individual_digits: true)` then `ByteLevel`): every digit is split off first.
        case llamaCpp
    }

    /// The `tokenizer.ggml.pre` names accepted, and the family each stands for under `reference`.
    public static func family(forGGUFName name: String, reference: Reference) -> PreTokenizer? {
        switch name {
        case "gpt2":
            return .gpt2
        case "smollm", "starcoder":
            return reference == .llamaCpp ? .gpt2IsolatedDigits : .gpt2
        case "llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx", "falcon3":
            return .llama3
        case "qwen2", "deepseek-r1-qwen":
            return .qwen2
        default:
            return nil
        }
    }

    /// Every `tokenizer.ggml.pre` name `family(forGGUFName:reference:)` accepts.
    public static let supportedNames = [
        "gpt2", "smollm", "starcoder", "llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx",
        "falcon3", "qwen2", "deepseek-r1-qwen",
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
