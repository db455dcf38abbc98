/// Declares one per-record auxiliary f32 vector (e.g. "next_token_logprobs").
public struct AuxiliaryInfo: Codable, Sendable, Equatable {
    public var name: String
    /// Fixed length of the vector; nil = variable (any length per record).
    public var length: Int?

    public init(name: String, length: Int? = nil) {
        self.name = name
        self.length = length
    }
}
