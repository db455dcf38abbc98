import ArgumentParser
import Dispatch
import Foundation
import StrataCapture
import StrataModel
import StrataServe

/// `strata classify`: single-pass classification — one forward pass per text, with the probe reading the
/// hidden-state tap layer by layer (nothing is written to disk).
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify texts with a probe fed by the model's forward pass (no dataset written).",
        discussion: """
            The forward pass computes only the layers the probe reads (its checkpoint records which hidden \
            states it was trained on) and the probe summarises each layer as soon as the pass emits it. The \
            probability equals what `strata capture --dtype f32` followed by `strata eval --predictions` gives \
            for the same text — captured with the same --chat-template/--system choice. Texts are tokenised as \
            read unless --chat-template, which wraps each as a user turn in the model's chat template exactly \
            as `strata generate` and `strata capture --chat-template` do. A warning is printed when the \
            probe's checkpoint records that it was trained on texts prepared the other way.

            Output: one line per text — label, P(class 1) for binary probes (else the predicted class's \
            probability), id. --json prints one JSON object per text: id, probability, predicted, \
            predicted_name, label (the input's, when present), tokens, ms.
            """)

    @OptionGroup var modelOptions: ServedModelOptions
    @Option(help: "Probe checkpoint written by `strata train`.") var probe: String
    @Option(help: "A text to classify.") var text: String?
    @Option(help: "Texts to classify: .jsonl (one JSON object per line) or .csv with a header row.") var input: String?
    @Option(help: "Field holding the text (--input).") var textField = "text"
    @Option(help: "Field holding the record id (--input; default when absent: row-<n>).") var idField = "id"
    @Option(help: "Field holding a reference label (--input; reported next to the prediction).") var labelField = "label"
    @Option(help: "Decision threshold on P(class 1) (default: the checkpoint's validation threshold, else 0.5).")
    var threshold: Float?
    @Flag(
        name: [.customLong("chat-template"), .customLong("chat")],
        help: "Wrap each text as a user turn in the model's chat template (as `strata generate` does without --raw).")
    var chatTemplate = false
    @Option(help: "System message for --chat-template (default: the template's).") var system: String?
    @Option(help: "Keep only the first N tokens of longer texts.") var maxTokens: Int?
    @Flag(help: "Print one JSON object per text.") var json = false

    func validate() throws {
        guard (text == nil) != (input == nil) else { throw ValidationError("give exactly one of --text and --input") }
        if system != nil && !chatTemplate { throw ValidationError("--system needs --chat-template") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be positive") }
    }

    func run() throws {
        let served = try modelOptions.load()
        let probe = try served.attach(probe: probe)
        served.warnIfPromptFormatDiffers(
            probe, raw: !chatTemplate, system: system,
            hint: chatTemplate ? "drop --chat-template or retrain" : "pass --chat-template, or retrain")
        var records: [(row: Int, id: String, text: String, label: Int?)] = []
        if let text {
            records = [(row: 1, id: "text", text: text, label: nil)]
        } else if let input {
            let reader = TextRecordReader(
                path: input, fields: TextFields(text: textField, label: labelField, id: idField),
                labelNames: probe.checkpoint.header.labelNames)
            for result in try reader.readAll() {
                switch result {
                case .success(let record): records.append((record.row, record.id, record.text, record.label))
                case .failure(let failure): throw UsageError("\(input): row \(failure.row): \(failure.problem)")
                }
            }
        }
        var correct = 0, labelled = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for record in records {
            var tokens = served.encode(record.text, raw: !chatTemplate, system: system)
            if let maxTokens, tokens.count > maxTokens { tokens.removeLast(tokens.count - maxTokens) }
            guard !tokens.isEmpty else { throw ServingError.emptyPrompt(source: "\(input ?? "--text") row \(record.row)") }
            let began = DispatchTime.now().uptimeNanoseconds
            let verdict = try probe.classify(model: served.llama, tokens: tokens, threshold: threshold)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6
            if let label = record.label {
                labelled += 1
                if label == verdict.predicted { correct += 1 }
            }
            if json {
                var object: [String: Any] = [
                    "id": record.id, "probability": Double(verdict.probability),
                    "predicted": verdict.predicted, "tokens": tokens.count,
                    "ms": (ms * 100).rounded() / 100
                ]
                if let name = verdict.label { object["predicted_name"] = name }
                if let label = record.label { object["label"] = label }
                print(try jsonLine(object))
            } else {
                let name = verdict.label ?? "class \(verdict.predicted)"
                print(String(format: "%@\t%.6f\t%@", name, verdict.probability, record.id))
            }
        }
        if records.count > 1 {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var summary = String(format: "%d texts in %.2f s (%.1f texts/s)", records.count, seconds, Double(records.count) / seconds)
            if labelled > 0 { summary += String(format: "; accuracy %.4f on %d labelled", Double(correct) / Double(labelled), labelled) }
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
    }
}
