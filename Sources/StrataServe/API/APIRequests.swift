/// The JSON bodies the endpoints read. Field names follow OpenAI's API; unknown fields are ignored.

/// One chat message. `content` is a string or OpenAI's list of parts (`[{"type": "text", "text": …}]`).
public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    private enum CodingKeys: String, CodingKey { case role, content }
    private struct Part: Codable { var type: String; var text: String? }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        if let text = try? container.decode(String.self, forKey: .content) {
            content = text
        } else {
            let parts = try container.decode([Part].self, forKey: .content)
            for (index, part) in parts.enumerated() where part.type != "text" || part.text == nil {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: container.codingPath + [CodingKeys.content, IndexKey(index)],
                    debugDescription: "only text parts ({\"type\": \"text\", \"text\": …}) are supported"))
            }
            content = parts.compactMap(\.text).joined()
        }
    }
}

/// An array index in a coding path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { return nil }
}

/// `stream_options`.
public struct StreamOptions: Codable, Sendable {
    public var includeUsage: Bool?
    private enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// The sampling and length fields chat and text completions share.
protocol GenerationParameters {
    var maxTokens: Int? { get }
    var temperature: Double? { get }
    var topK: Int? { get }
    var seed: Int? { get }
    var count: Int? { get }
    var stream: Bool? { get }
    var streamOptions: StreamOptions? { get }
}

/// `POST /v1/chat/completions`.
public struct ChatCompletionRequest: Codable, Sendable, GenerationParameters {
    public var model: String?
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var temperature: Double?
    public var topK: Int?
    public var seed: Int?
    public var count: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?

    private enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stream
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", topK = "top_k", count = "n"
        case streamOptions = "stream_options"
    }
}

/// `POST /v1/completions`: one prompt, used as is (no chat template).
public struct CompletionRequest: Codable, Sendable, GenerationParameters {
    public var model: String?
    public var prompt: String
    public var maxTokens: Int?
    public var temperature: Double?
    public var topK: Int?
    public var seed: Int?
    public var count: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?

    private enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, seed, stream
        case maxTokens = "max_tokens", topK = "top_k", count = "n", streamOptions = "stream_options"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        if let text = try? container.decode(String.self, forKey: .prompt) {
            prompt = text
        } else {
            let prompts = try container.decode([String].self, forKey: .prompt)
            guard prompts.count == 1 else {
                throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.prompt],
                                                        debugDescription: "give one prompt (a string or a list of one)"))
            }
            prompt = prompts[0]
        }
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        seed = try container.decodeIfPresent(Int.self, forKey: .seed)
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
    }
}

/// `POST /v1/classify`: the named probes' verdicts on each text (all probes when `probes` is absent).
public struct ClassifyRequest: Codable, Sendable {
    public var texts: [String]
    public var probes: [String]?
    /// Wrap each text as a user turn in the chat template (as `strata classify --chat-template`).
    public var chatTemplate: Bool?
    /// System message for `chat_template` (default: the template's).
    public var system: String?
    /// Decision threshold on P(class 1) of binary probes (default: each checkpoint's).
    public var threshold: Float?

    private enum CodingKeys: String, CodingKey {
        case texts, probes, system, threshold
        case chatTemplate = "chat_template"
    }
}

/// How hidden states are sent: little-endian float32 or bfloat16, base64-encoded.
public enum HiddenStateEncoding: String, Codable, CaseIterable, Sendable {
    case float32, bfloat16
}

/// `POST /v1/hidden-states`: one text (tokenised as is, as `strata hidden --text`) or chat messages
/// (rendered with the chat template, as for a chat completion).
public struct HiddenStatesRequest: Codable, Sendable {
    public var text: String?
    public var messages: [ChatMessage]?
    /// Hidden-state indices (0 = embeddings, L = after the final norm); default all.
    public var layers: [Int]?
    public var pooling: HiddenStatePooling?
    public var dtype: HiddenStateEncoding?
}
