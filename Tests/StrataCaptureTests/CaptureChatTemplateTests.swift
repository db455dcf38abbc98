import Foundation
import Strata
import StrataModel
import StrataProbe
import StrataTestSupport
import Testing

@testable import StrataCapture

/// `--chat-template`: texts are captured as the user turn of the prompt `strata generate` builds.
struct CaptureChatTemplateTests {
    /// SmolLM2-style ChatML Jinja template whose default system message is a literal (with real newlines,
    /// as GGUF files store it).
    static let jinja = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}\
        {{ '<|im_start|>system\nYou are a tiny test model<|im_end|>\n' }}{% endif %}\
        {{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}
        """

    static func model(in dir: String) throws -> String {
        var synthetic = SyntheticModel(blocks: 2, hidden: 16, feedForward: 24, heads: 2, keyValueHeads: 1, seed: 3)
        synthetic.chatTemplate = jinja
        let path = dir + "/chat.gguf"
        try synthetic.write(to: path)
        return path
    }

    /// The prompt written out by hand (not through `ChatTemplate`), as SmolLM2's template renders it.
    static func expectedPrompt(_ text: String, system: String?) -> String {
        (system.map { "<|im_start|>system\n\($0)<|im_end|>\n" } ?? "")
            + "<|im_start|>user\n\(text)<|im_end|>\n<|im_start|>assistant\n"
    }

    @Test func tokenIDsAreTheTemplatedPromptsAndValuesMatchCapturingThatText() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try Self.model(in: dir)
            var options = CaptureFixture.options(model: modelPath, input: try CaptureFixture.jsonl(in: dir), out: dir + "/chat")
            options.dtype = .f32
            options.chatTemplate = true
            try CaptureJob(options: options).run()

            // Reference: a plain capture of the prompts written out by hand.
            let wrapped = CaptureFixture.texts.map { Self.expectedPrompt($0, system: "You are a tiny test model") }
            var plain = CaptureFixture.options(
                model: modelPath, input: try CaptureFixture.jsonl(in: dir, name: "wrapped.jsonl", texts: wrapped),
                out: dir + "/plain")
            plain.dtype = .f32
            try CaptureJob(options: plain).run()

            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: modelPath))
            let chat = try CaptureFixture.records(dir + "/chat"), reference = try CaptureFixture.records(dir + "/plain")
            #expect(chat.count == CaptureFixture.texts.count && reference.count == chat.count)
            for (i, ((info, values), (refInfo, refValues))) in zip(chat, reference).enumerated() {
                #expect(info.text == CaptureFixture.texts[i], "the record keeps the text as read")
                #expect(info.tokenIDs == tokenizer.encode(wrapped[i]))
                #expect(info.tokenIDs == refInfo.tokenIDs)
                #expect(values == refValues, "record \(i)")
            }
            let extra = try StrataDataset(path: dir + "/chat").metadata.extra
            #expect(extra["capture.chat_template"] == "chatml")
            #expect(extra["capture.chat_system"] == "You are a tiny test model")
            #expect(extra["capture.prompt_format"] == "chatml")
            #expect(PromptFormat(metadataExtra: extra) == .chat(template: "chatml", system: "You are a tiny test model"))
            let plainExtra = try StrataDataset(path: dir + "/plain").metadata.extra
            #expect(plainExtra["capture.chat_template"] == nil)
            #expect(plainExtra["capture.prompt_format"] == "raw")
            #expect(PromptFormat(metadataExtra: plainExtra) == .raw)
        }
    }

    @Test func systemOptionReplacesTheDefaultAndResumeRefusesAnotherFormat() throws {
        try withTemporaryDirectory { dir in
            let modelPath = try Self.model(in: dir)
            var options = CaptureFixture.options(model: modelPath, input: try CaptureFixture.jsonl(in: dir), out: dir + "/out")
            options.chatTemplate = true
            options.chatSystem = "Be brief."
            try CaptureJob(options: options).run()
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: modelPath))
            for (i, (info, _)) in try CaptureFixture.records(dir + "/out").enumerated() {
                #expect(info.tokenIDs == tokenizer.encode(Self.expectedPrompt(CaptureFixture.texts[i], system: "Be brief.")))
            }
            #expect(try StrataDataset(path: dir + "/out").metadata.extra["capture.chat_system"] == "Be brief.")

            // Resuming with raw texts or another system message would mix prompt formats: refused, naming the key.
            var raw = options
            raw.resume = true
            raw.chatTemplate = false
            raw.chatSystem = nil
            #expect {
                try CaptureJob(options: raw).run()
            } throws: { error in
                guard case CaptureError.resumeMismatch(_, let field, _, _) = error else { return false }
                return field == "extra.capture.chat_template"
            }
            var other = options
            other.resume = true
            other.chatSystem = "Be verbose."
            #expect {
                try CaptureJob(options: other).run()
            } throws: { error in
                guard case CaptureError.resumeMismatch(_, let field, _, _) = error else { return false }
                return field == "extra.capture.chat_system"
            }
            // --system without --chat-template is a usage error.
            var lonely = CaptureFixture.options(model: modelPath, input: try CaptureFixture.jsonl(in: dir), out: dir + "/other")
            lonely.chatSystem = "x"
            #expect(throws: CaptureError.self) { try CaptureJob(options: lonely).run() }
        }
    }
}
