/// What every tokenizer knows besides its pieces: how many tokens there are, which ids are special
/// (BOS, EOS, unknown, padding) and whether encoding adds BOS / EOS. Read and checked once from the
/// vocabulary for both implementations.
public struct SpecialTokens: Sendable, Equatable {
    /// Number of tokens (ids are `0..<vocabularySize`).
    public let vocabularySize: Int
    public let bosID: Int32?
    public let eosID: Int32?
    public let unknownID: Int32?
    public let paddingID: Int32?
    /// Whether `encode(_:addSpecialTokens: true)` prepends BOS / appends EOS.
    public let addBOS: Bool
    public let addEOS: Bool

    /// The vocabulary's special ids and flags; throws `TokenizerError.specialTokenOutOfRange` for an id
    /// outside the vocabulary (call after `checkShape`).
    init(vocabulary: TokenizerVocabulary) throws {
        let size = vocabulary.tokens.count
        func checked(_ id: Int?, _ name: String) throws -> Int32? {
            guard let id else { return nil }
            guard id >= 0 && id < size else {
                throw TokenizerError.specialTokenOutOfRange(name: name, id: id, vocabularySize: size)
            }
            return Int32(id)
        }
        vocabularySize = size
        bosID = try checked(vocabulary.bosID, "BOS")
        eosID = try checked(vocabulary.eosID, "EOS")
        unknownID = try checked(vocabulary.unknownID, "unknown")
        paddingID = try checked(vocabulary.paddingID, "padding")
        addBOS = vocabulary.addBOS
        addEOS = vocabulary.addEOS
    }

    /// Whether `id` is a token of this vocabulary.
    public func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < vocabularySize }
}
