/// The JSON bodies the endpoints answer with, in OpenAI's shapes where OpenAI has one.

/// Token counts of a generation.
public struct Usage: Codable, Sendable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    init(prompt: Int, completion: Int) {
        promptTokens = prompt
        completionTokens = completion
        totalTokens = prompt + completion
    }

    private enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }
}

/// A probe's verdict: in `/v1/classify` for each probe, and as the extra field `strata_guard` of every
/// generation response of a server started with `--guard` (the guard's verdict on the prompt).
public struct ProbeReport: Codable, Sendable {
    /// P(class 1) for binary probes, else the predicted class's probability (as `strata classify`).
    public var probability: Float
    public var probabilities: [Float]
    public var predicted: Int
    /// Whether a binary probe predicts class 1 (for the guard: the prompt is refused).
    public var flagged: Bool
    public var label: String?
    public var threshold: Float?

    init(_ verdict: ProbeVerdict) {
        probability = verdict.probability
        probabilities = verdict.probabilities
        predicted = verdict.predicted
        flagged = verdict.flagged
        label = verdict.label
        threshold = verdict.threshold
    }
}

/// OpenAI's envelope around a completion and around each streamed chunk of one; `object` says which
/// (`chat.completion`, `chat.completion.chunk`, `text_completion`).
struct CompletionEnvelope<Choice: Codable>: Codable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
    var strataGuard: ProbeReport?
    private enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage, strataGuard = "strata_guard"
    }
}

/// What every envelope of one response shares.
struct CompletionHeader: Sendable {
    var id: String
    var created: Int
    var model: String

    func envelope<Choice>(
        _ object: String, _ choices: [Choice], usage: Usage? = nil,
        guardReport: ProbeReport? = nil
    ) -> CompletionEnvelope<Choice> {
        CompletionEnvelope(
            id: id, object: object, created: created, model: model, choices: choices, usage: usage,
            strataGuard: guardReport)
    }
}

/// A chat answer's message (`message` of a completion, `delta` of a chunk).
struct ChatMessageBody: Codable {
    var role: String?
    var content: String?
    var refusal: String?
}

/// One choice of a chat completion (`message`) or of a chunk (`delta`).
struct ChatChoice: Codable {
    var index = 0
    var message: ChatMessageBody?
    var delta: ChatMessageBody?
    var finishReason: FinishReason?
    private enum CodingKeys: String, CodingKey { case index, message, delta, finishReason = "finish_reason" }
}

/// One choice of a text completion or of a chunk of one.
struct TextChoice: Codable {
    var index = 0
    var text: String
    var finishReason: FinishReason?
    private enum CodingKeys: String, CodingKey { case index, text, finishReason = "finish_reason" }
}

struct ClassifyResponse: Codable {
    struct Result: Codable {
        var index: Int
        var tokens: Int
        var probes: [String: ProbeReport]
    }
    var object = "classification"
    var model: String
    var results: [Result]
}

struct HiddenStatesResponse: Codable {
    var object = "hidden_states"
    var model: String
    var tokens: [Int32]
    var layers: [Int]
    var pooling: HiddenStatePooling
    var dtype: HiddenStateEncoding
    var shape: [Int]
    /// Base64 of the little-endian values, row-major in `shape`.
    var data: String
}

struct ModelList: Codable {
    struct Model: Codable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "strata"
        var hiddenStates: Int
        var probes: [String]
        private enum CodingKeys: String, CodingKey {
            case id, object, created, ownedBy = "owned_by", hiddenStates = "hidden_states", probes
        }
    }
    var object = "list"
    var data: [Model]
}

struct ErrorEnvelope: Codable {
    struct Body: Codable {
        var message: String
        var type: String
        var param: String?
        var code: String?
    }
    var error: Body

    init(_ error: ServeAPIError) {
        self.error = Body(message: error.message, type: error.type, param: error.param, code: error.code)
    }
}

struct HealthReport: Codable {
    var status: String
    var queueDepth: Int
    private enum CodingKeys: String, CodingKey { case status, queueDepth = "queue_depth" }
}
