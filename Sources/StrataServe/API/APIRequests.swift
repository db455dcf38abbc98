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
                throw DecodingError.dataCorrupted(
                    .init(
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

/// The sampling and length fields chat and text completions share (read from the same JSON object).
public struct GenerationFields: Decodable, Sendable {
    public var model: String?
    public var maxTokens: Int?
    public var temperature: Double?
    public var topK: Int?
    public var seed: Int?
    public var count: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?

    private enum CodingKeys: String, CodingKey {
        case model, temperature, seed, stream
        case maxTokens = "max_tokens", topK = "top_k", count = "n", streamOptions = "stream_options"
    }
}

/// `POST /v1/chat/completions`.
public struct ChatCompletionRequest: Decodable, Sendable {
    public var messages: [ChatMessage]
    public var maxCompletionTokens: Int?
    public var generation: GenerationFields

    private enum CodingKeys: String, CodingKey {
        case messages, maxCompletionTokens = "max_completion_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messages = try container.decode([ChatMessage].self, forKey: .messages)
        maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        generation = try GenerationFields(from: decoder)
    }
}

/// `POST /v1/completions`: one prompt, used as is (no chat template).
public struct CompletionRequest: Decodable, Sendable {
    public var prompt: String
    public var generation: GenerationFields

    private enum CodingKeys: String, CodingKey { case prompt }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .prompt) {
            prompt = text
        } else {
            let prompts = try container.decode([String].self, forKey: .prompt)
            guard prompts.count == 1 else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: [CodingKeys.prompt],
                        debugDescription: "give one prompt (a string or a list of one)"))
            }
            prompt = prompts[0]
        }
        generation = try GenerationFields(from: decoder)
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
