import ArgumentParser
import Foundation
import StrataModel

/// `strata tokenize --model M.gguf --text "…"` — prints the token ids of a text as a JSON array, using the
/// tokenizer the GGUF file describes (byte-level BPE or SentencePiece).
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text (JSON array) with a GGUF model's tokenizer.",
        discussion: """
            Ids match the model's own published tokenizer (its tokenizer.json, as llama.cpp reads the GGUF \
            file): byte-level BPE (tokenizer.ggml.model gpt2: SmolLM2, Llama 3, Qwen2, GPT-2) or SentencePiece \
            (llama: Llama 2, Gemma). With --jsonl, every line of --file is a JSON object whose --field string \
            is tokenized, and one JSON array is printed per line.
            """)

    @OptionGroup var modelOption: ModelOption

    @Option(help: "The text to tokenize.")
    var text: String?

    @Option(help: "Tokenize the contents of this file (UTF-8) instead of --text.")
    var file: String?

    @Flag(help: "Treat --file as JSON Lines and tokenize each record's --field.")
    var jsonl = false

    @Option(help: "The string field of each JSON Lines record to tokenize.")
    var field = "text"

    @Flag(help: "Do not add BOS/EOS (only matters when the model's add_bos/add_eos flags are set).")
    var noSpecial = false

    @Flag(help: "Print texts, bytes, tokens and throughput (tokenization only) to stderr.")
    var stats = false

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give exactly one of --text and --file") }
        if jsonl && file == nil { throw ValidationError("--jsonl needs --file") }
    }

    func run() throws {
        let path = modelOption.path
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: path))
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9

        var texts: [String] = []
        if let text {
            texts = [text]
        } else if let file {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let contents = String(data: data, encoding: .utf8) else {
                throw ValidationError("\(file) is not valid UTF-8")
            }
            texts = jsonl ? try Self.records(contents, field: field, file: file) : [contents]
        }

        let cpuStart = Self.processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let encoded = texts.map { tokenizer.encode($0, addSpecialTokens: !noSpecial) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuSeconds = Self.processCPUSeconds() - cpuStart

        var output = ""
        for ids in encoded {
            output += "[" + ids.map(String.init).joined(separator: ",") + "]\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))

        if stats {
            let bytes = texts.reduce(0) { $0 + $1.utf8.count }
            let tokens = encoded.reduce(0) { $0 + $1.count }
            let line = String(
                format: "texts %d, bytes %d, tokens %d; wall %.3f s = %.2f MB/s, %.0f tokens/s; "
                    + "CPU %.3f s = %.2f MB/s, %.0f tokens/s; tokenizer load %.3f s, %@\n",
                texts.count, bytes, tokens, seconds, Double(bytes) / 1e6 / seconds, Double(tokens) / seconds,
                cpuSeconds, Double(bytes) / 1e6 / cpuSeconds, Double(tokens) / cpuSeconds, loadSeconds,
                tokenizer.identity)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// CPU time used by this process so far (all threads), in seconds.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The `field` strings of a JSON Lines document (blank lines skipped).
    static func records(_ contents: String, field: String, file: String) throws -> [String] {
        var result: [String] = []
        for (number, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0.isWhitespace }) { continue }
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let record = object as? [String: Any], let value = record[field] as? String else {
                throw ValidationError("\(file):\(number + 1): not a JSON object with a string field '\(field)'")
            }
            result.append(value)
        }
        return result
    }
}
