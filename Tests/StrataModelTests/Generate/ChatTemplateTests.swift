import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// ChatML rendering against the Jinja template stored in SmolLM2-Instruct's GGUF.
struct ChatTemplateTests {
    /// SmolLM2-Instruct's `tokenizer.chat_template`, verbatim.
    static let smolLM2 = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func defaultSystemMessageIsReadFromTheTemplate() {
        #expect(ChatTemplate.defaultSystem(in: Self.smolLM2) == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(ChatTemplate.defaultSystem(in: "{{ '<|im_start|>system\\n' + message['content'] + '<|im_end|>' }}") == nil)
        #expect(ChatTemplate.defaultSystem(in: "") == nil)
    }

    /// What the Jinja template renders for one user message with add_generation_prompt, worked out by
    /// hand from the template above.
    @Test func rendersOneUserTurn() {
        let template = ChatTemplate(defaultSystem: ChatTemplate.defaultSystem(in: Self.smolLM2))
        #expect(
            template.prompt(user: "Hi there") == """
                <|im_start|>system
                You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
                <|im_start|>user
                Hi there<|im_end|>
                <|im_start|>assistant

                """)
        #expect(
            template.prompt(user: "x", system: "Be brief.")
                == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n")
        #expect(ChatTemplate().prompt(user: "x") == "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n")
    }

    /// With jinja2 and the real model at hand, the GGUF's own template rendered by Jinja matches.
    @Test(.needsRealModel, .needsPython("jinja2"))
    func matchesJinjaOnTheRealTemplate() throws {
        let path = try #require(Requirements.realModelPath)
        let file = try GGUFFile(path: path)
        let source = try #require(file.metadata["tokenizer.chat_template"]?.string)
        let user = "What's 2+2? Answer \"4\"."
        let script = """
            import jinja2, sys
            t = jinja2.Environment().from_string(sys.stdin.read())
            sys.stdout.write(t.render(messages=[{"role": "user", "content": \(String(reflecting: user))}], add_generation_prompt=True))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(source.utf8))
        try input.fileHandleForWriting.close()
        let rendered = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 failed to render the template with jinja2")
        #expect(ChatTemplate(gguf: file).prompt(user: user) == rendered)
    }
}
