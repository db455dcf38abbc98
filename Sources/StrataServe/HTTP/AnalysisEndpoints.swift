import Foundation
import Hummingbird
import Strata
import StrataModel

/// `POST /v1/classify` and `POST /v1/hidden-states`: one forward pass per text, no generation.
struct AnalysisEndpoints: Sendable {
    let context: ServeContext

    func classify(_ request: Request, _ requestContext: ServeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(ClassifyRequest.self, from: request, limit: context.limits.maxBodyBytes)
        guard !body.texts.isEmpty else { throw ServeAPIError.invalid("texts", "give at least one text") }
        guard body.texts.count <= context.limits.maxTextsPerRequest else {
            throw ServeAPIError.invalid(
                "texts",
                "\(body.texts.count) texts are more than the limit of "
                    + "\(context.limits.maxTextsPerRequest) per request")
        }
        let names = body.probes ?? context.probeNames
        guard !names.isEmpty else {
            throw ServeAPIError.invalid("probes", "the server has no probes (start it with --probe NAME=PATH or --guard)")
        }
        for (index, name) in names.enumerated() where !context.probeNames.contains(name) {
            throw ServeAPIError(
                status: 404,
                message: "probes[\(index)]: unknown probe '\(name)'; this server has "
                    + "\(context.probeNames.joined(separator: ", "))", param: "probes[\(index)]", code: "unknown_probe")
        }
        guard Set(names).count == names.count else { throw ServeAPIError.invalid("probes", "a probe is named twice") }
        if let threshold = body.threshold, !(threshold >= 0 && threshold <= 1) {
            throw ServeAPIError.invalid("threshold", "must be between 0 and 1, got \(threshold)")
        }
        if body.system != nil && body.chatTemplate != true {
            throw ServeAPIError.invalid("system", "needs chat_template: true")
        }
        let chat = body.chatTemplate == true
        let texts = try body.texts.enumerated().map { index, text in
            try context.promptTokens(
                chat ? context.model.chat.prompt(user: text, system: body.system) : text,
                field: "texts[\(index)]")
        }
        let verdicts: [[ProbeVerdict]] = try await context.run(connected: requestContext.connected) { ticket, deliver in
            ClassifyTask(ticket: ticket, texts: texts, probeNames: names, threshold: body.threshold, deliver: deliver)
        }
        for row in verdicts {
            for (name, verdict) in zip(names, row) { context.metrics.verdict(probe: name, flagged: verdict.flagged) }
        }
        let results = verdicts.enumerated().map { index, row in
            ClassifyResponse.Result(
                index: index, tokens: texts[index].count,
                probes: Dictionary(uniqueKeysWithValues: zip(names, row.map(ProbeReport.init))))
        }
        return try JSONResponse.make(ClassifyResponse(model: context.modelID, results: results))
    }

    func hiddenStates(_ request: Request, _ requestContext: ServeRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(HiddenStatesRequest.self, from: request, limit: context.limits.maxBodyBytes)
        let tokens: [Int32]
        switch (body.text, body.messages) {
        case (let text?, nil):
            tokens = try context.promptTokens(text, field: "text")
        case (nil, let messages?):
            tokens = try context.promptTokens(try ChatPrompt.render(messages, template: context.model.chat), field: "messages")
        default:
            throw ServeAPIError.invalid("text", "give exactly one of text and messages")
        }
        let count = context.model.llama.numHiddenStates
        let layers = body.layers ?? Array(0..<count)
        guard !layers.isEmpty else { throw ServeAPIError.invalid("layers", "give at least one hidden-state index") }
        for (index, layer) in layers.enumerated() where !(0..<count).contains(layer) {
            throw ServeAPIError.invalid("layers[\(index)]", "\(layer) is outside the model's hidden states 0...\(count - 1)")
        }
        guard Set(layers).count == layers.count else { throw ServeAPIError.invalid("layers", "an index is repeated") }
        let pooling = body.pooling ?? .none
        let encoding = body.dtype ?? .float32
        let hidden = context.model.llama.config.hiddenSize
        let bytes = layers.count * (pooling == .none ? tokens.count : 1) * hidden * (encoding == .float32 ? 4 : 2)
        guard bytes <= context.limits.maxHiddenStateBytes else {
            throw ServeAPIError.invalid(
                "layers",
                "the answer would hold \(bytes) bytes of states, more than the limit of "
                    + "\(context.limits.maxHiddenStateBytes) (--max-hidden-state-bytes): ask for fewer "
                    + "layers, a shorter text or pooling")
        }
        let result: HiddenStatesResult = try await context.run(connected: requestContext.connected) { ticket, deliver in
            HiddenStatesTask(
                ticket: ticket, tokens: tokens, layers: layers, pooling: pooling, hiddenSize: hidden,
                deliver: deliver)
        }
        return try JSONResponse.make(
            HiddenStatesResponse(
                model: context.modelID, tokens: tokens, layers: layers, pooling: pooling, dtype: encoding, shape: result.shape,
                data: Self.base64(result.values, encoding: encoding)))
    }

    /// Little-endian bytes of `values` in `encoding`, base64-encoded.
    static func base64(_ values: [Float], encoding: HiddenStateEncoding) -> String {
        switch encoding {
        case .float32:
            return values.map(\.bitPattern.littleEndian).withUnsafeBytes { Data($0).base64EncodedString() }
        case .bfloat16:
            var halves = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { source in
                halves.withUnsafeMutableBufferPointer { StrataConvert.f32ToBF16(source, $0) }
            }
            return halves.map(\.littleEndian).withUnsafeBytes { Data($0).base64EncodedString() }
        }
    }
}
