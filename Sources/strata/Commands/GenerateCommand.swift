import ArgumentParser
import Foundation
import StrataModel
import StrataServe

/// `strata generate`: text generation with a KV cache, optionally guarded by a probe that reads the
/// prompt's own prefill pass.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a reply with a KV cache; --guard refuses flagged prompts from the same prefill pass.",
        discussion: """
            The prompt is wrapped in the model's ChatML chat template (with the template's default system \
            message) unless --raw, run once (the prefill), then decoded token by token until an end-of-turn \
            token or --max-tokens.

            With --guard P.probe the prefill also feeds the probe through the hidden-state tap. If it flags \
            the prompt (P(class 1) >= --threshold, default the checkpoint's validation threshold, else 0.5) \
            the command prints a refusal with the probability and exits 0 before generating any token; \
            otherwise the reply is decoded from the same KV cache — no second model, no second prefill. \
            The probe sees the prompt as the model does (template included): train guards on datasets made \
            by `strata capture --chat-template` (same --system); a warning is printed when the checkpoint \
            records that its training texts were prepared otherwise.

            --json prints one object: {"refused":true,"probability":…} for a refusal, else the reply with \
            token counts and timings.
            """)

    @OptionGroup var modelOptions: ServedModelOptions
    @Option(help: "The user's prompt.") var prompt: String
    @Option(help: "Most tokens to generate.") var maxTokens: Int = 128
    @Option(name: .customLong("guard"), help: "Probe checkpoint that screens the prompt during the prefill.")
    var guardProbe: String?
    @Option(help: "Guard decision threshold on P(class 1) (default: the checkpoint's, else 0.5).") var threshold: Float?
    @Flag(help: "Use the prompt as is, without the chat template.") var raw = false
    @Option(help: "System message (default: the chat template's).") var system: String?
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0
    @Option(help: "Sample only among the K most likely tokens (0 = all).") var topK: Int = 0
    @Option(help: "Seed for sampling.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object instead of streaming text.") var json = false

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be >= 0") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be >= 0") }
        guard topK >= 0 else { throw ValidationError("--top-k must be >= 0") }
    }

    func run() throws {
        let served = try modelOptions.load()
        let guardian = try guardProbe.map { try served.attach(probe: $0) }
        if let guardian {
            served.warnIfPromptFormatDiffers(
                guardian, raw: raw, system: system,
                hint: "train the guard on `strata capture --chat-template` data with the same --system")
        }
        let tokens = served.encode(prompt, raw: raw, system: system)
        guard !tokens.isEmpty else { throw ServingError.emptyPrompt(source: "--prompt") }

        var pieces = StreamingDetokenizer(tokenizer: served.tokenizer)
        let stdout = FileHandle.standardOutput
        let result = try GuardedGeneration.run(
            model: served.llama, prompt: tokens, maxTokens: maxTokens,
            sampling: SamplingOptions(temperature: temperature, topK: topK, seed: seed),
            stopTokens: served.stopTokens, guard: guardian, threshold: threshold
        ) { token in
            guard !json else { return true }
            stdout.write(Data(pieces.append(token).utf8))
            return true
        }

        let verdictText = result.verdict.map { verdict in
            String(
                format: "%@ p=%.4f threshold %.4f", verdict.label ?? "class \(verdict.predicted)",
                verdict.probability, verdict.threshold ?? 0.5)
        }
        if json {
            var object: [String: Any] = [
                "refused": result.refused, "prompt_tokens": result.promptTokens,
                "prefill_ms": (result.prefillSeconds * 1e5).rounded() / 100
            ]
            if let verdict = result.verdict {
                object["probability"] = Double(verdict.probability)
                object["threshold"] = Double(verdict.threshold ?? 0.5)
                if let label = verdict.label { object["label"] = label }
            }
            if !result.refused {
                object["text"] = served.tokenizer.decode(result.tokens)
                object["tokens"] = result.tokens.count
                object["stop"] = result.stop?.rawValue ?? ""
                object["decode_ms"] = (result.decodeSeconds * 1e5).rounded() / 100
            }
            print(try jsonLine(object))
            return
        }
        if result.refused {
            print("refused: the guard flagged this prompt (\(verdictText ?? "")); no tokens were generated")
            return
        }
        stdout.write(Data(pieces.finish().utf8))
        stdout.write(Data("\n".utf8))
        var summary = String(
            format: "[%d prompt tokens, prefill %.0f ms; %d tokens in %.2f s (%.1f tokens/s); stop: %@]",
            result.promptTokens, result.prefillSeconds * 1000, result.tokens.count, result.decodeSeconds,
            Double(result.tokens.count) / max(result.decodeSeconds, 1e-9), result.stop?.rawValue ?? "")
        if let verdictText { summary = "[guard: \(verdictText)] " + summary }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    }
}
