/// A byte-level BPE tokenizer (GPT-2 style, `tokenizer.ggml.model` = "gpt2") built from a GGUF vocabulary,
/// producing the ids of the model's own published tokenizer: the pre-tokenizer sequence of its
/// `tokenizer.json`, as llama.cpp's table reproduces it for the file's `tokenizer.ggml.pre` name
/// (`PreTokenizer.Reading`).
///
/// Encoding: added tokens (control, user-defined) are cut out of the raw text first and kept whole; the
/// text between them is split by the family's pre-tokenizer; a piece that is itself a token is kept whole
/// where the family ignores merges (Llama 3); otherwise its UTF-8 bytes become byte tokens that are merged
/// by rank (lowest first, leftmost on ties). Merge results are cached per piece.
///
/// Thread-safe: the only mutable state is the piece cache, which guards itself with a lock.
public final class BPETokenizer: TokenizerModel {
    /// The `tokenizer.ggml.model` value this type implements.
    public static let model = "gpt2"

    public let specialTokens: SpecialTokens
    /// The pre-tokenizer family in use.
    public let preTokenizer: PreTokenizer
    /// Whether a piece that is itself a token is kept whole instead of being merged from its bytes.
    public let ignoresMerges: Bool
    /// `sha256:<hex>` over everything that decides the ids: model, pre-tokenizer family, tokens, token
    /// types, merges, BOS/EOS ids and add flags. Two tokenizers with equal identity encode alike.
    public let identity: String
    /// The most bytes of text one token stands for, or nil when some byte value has no token (such bytes
    /// are dropped, so a text's length no longer bounds its token count from below).
    public let longestTokenBytes: Int?

    private let merger: BPEMerger
    /// Token ids by their bytes, for `ignoresMerges` (empty otherwise).
    private let wholePieceIDs: [[UInt8]: Int32]
    /// Token id of each single byte, or -1 if the vocabulary lacks it (such bytes are dropped, as in HF).
    private let byteTokenIDs: [Int32]
    /// The bytes each token decodes to.
    private let tokenBytes: [[UInt8]]
    /// Tokens decoded verbatim rather than through the byte alphabet (the added tokens).
    private let isAddedToken: [Bool]
    private let addedTokens: SpecialTokenMatcher

    private let pieceCache = PieceCache()

    /// Builds the tokenizer. Throws `TokenizerError` naming the unsupported model or pre-tokenizer, or what is
    /// wrong with the vocabulary.
    public init(vocabulary: TokenizerVocabulary) throws {
        guard vocabulary.model == Self.model else {
            throw TokenizerError.unsupportedModel(vocabulary.model)
        }
        guard let reading = PreTokenizer.reading(forGGUFName: vocabulary.pre) else {
            throw TokenizerError.unsupportedPreTokenizer(vocabulary.pre)
        }
        try vocabulary.checkShape()
        let tokens = vocabulary.tokens
        specialTokens = try SpecialTokens(vocabulary: vocabulary)
        preTokenizer = reading.family
        ignoresMerges = reading.ignoresMerges

        // The vocabulary as HF keys it: a token that uses characters outside the byte alphabet is respelled
        // as the alphabet spelling of its UTF-8 bytes; a later duplicate wins.
        var idForSpelling: [String: Int32] = [:]
        idForSpelling.reserveCapacity(tokens.count)
        var bytesOfToken: [[UInt8]] = []
        bytesOfToken.reserveCapacity(tokens.count)
        var spelledInAlphabet = [Bool](repeating: false, count: tokens.count)
        for (index, token) in tokens.enumerated() {
            if let bytes = ByteLevelAlphabet.bytes(ofSpelling: token) {
                idForSpelling[token] = Int32(index)
                bytesOfToken.append(bytes)
                spelledInAlphabet[index] = true
            } else {
                let bytes = Array(token.utf8)
                idForSpelling[ByteLevelAlphabet.spell(bytes)] = Int32(index)
                bytesOfToken.append(bytes)
            }
        }

        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            byteIDs[byte] = idForSpelling[String(Character(ByteLevelAlphabet.scalarForByte[byte]))] ?? -1
        }
        byteTokenIDs = byteIDs

        var table = BPEMergeTable(capacity: vocabulary.merges.count)
        for (rank, merge) in vocabulary.merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerge(index: rank, merge: merge)
            }
            let left = String(parts[0]), right = String(parts[1])
            guard let leftID = idForSpelling[left] else {
                throw TokenizerError.mergeTokenMissing(index: rank, merge: merge, token: left)
            }
            guard let rightID = idForSpelling[right] else {
                throw TokenizerError.mergeTokenMissing(index: rank, merge: merge, token: right)
            }
            guard let resultID = idForSpelling[left + right] else {
                throw TokenizerError.mergeTokenMissing(index: rank, merge: merge, token: left + right)
            }
            table.insert(left: leftID, right: rightID, rank: Int32(rank), result: resultID)
        }
        merger = BPEMerger(table: table)

        // Added tokens, as transformers adds them from a GGUF: control tokens spelled in the byte alphabet
        // (special), and user-defined tokens that are vocabulary keys (not special). Both match whole.
        var added: [(text: String, id: Int32)] = []
        var addedFlags = [Bool](repeating: false, count: tokens.count)
        for (index, type) in vocabulary.tokenTypes.enumerated() {
            let token = tokens[index]
            let isControl = type == TokenType.control.rawValue && spelledInAlphabet[index]
            let isUserDefined = type == TokenType.userDefined.rawValue && idForSpelling[token] != nil
            guard isControl || isUserDefined, let id = idForSpelling[token] else { continue }
            added.append((token, id))
            addedFlags[Int(id)] = true
        }
        for (index, flag) in addedFlags.enumerated() where flag {
            bytesOfToken[index] = Array(tokens[index].utf8)
        }
        addedTokens = SpecialTokenMatcher(tokens: added)
        isAddedToken = addedFlags
        tokenBytes = bytesOfToken
        longestTokenBytes = byteIDs.contains(-1) ? nil : bytesOfToken.map(\.count).max()

        if reading.ignoresMerges {
            var whole: [[UInt8]: Int32] = [:]
            whole.reserveCapacity(idForSpelling.count)
            for (spelling, id) in idForSpelling {
                if let bytes = ByteLevelAlphabet.bytes(ofSpelling: spelling) { whole[bytes] = id }
            }
            wholePieceIDs = whole
        } else {
            wholePieceIDs = [:]
        }

        var fingerprint = TokenizerFingerprint(version: "strata-bpe-tokenizer-v1")
        fingerprint.field(vocabulary.model)
        fingerprint.field(reading.family.rawValue)
        if reading.ignoresMerges { fingerprint.field("ignore_merges") }
        fingerprint.fields(vocabulary.tokens)
        fingerprint.field(vocabulary.tokenTypes.map(String.init).joined(separator: ","))
        fingerprint.fields(vocabulary.merges)
        fingerprint.field("bos=\(vocabulary.bosID.map(String.init) ?? "-") eos=\(vocabulary.eosID.map(String.init) ?? "-")")
        fingerprint.field("addBOS=\(vocabulary.addBOS) addEOS=\(vocabulary.addEOS)")
        identity = fingerprint.finish()
    }

    // MARK: - Encoding

    /// Token ids of `text`. With `addSpecialTokens`, BOS/EOS are added where the vocabulary's add flags say
    /// so (for SmolLM2 neither is set, so nothing is added). Added-token strings in the text (such as
    /// `<|im_start|>`) become their ids either way, as in Hugging Face.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens, addBOS, let bosID { ids.append(bosID) }
        var text = text
        text.withUTF8 { buffer in
            var scanner = PreTokenizerScanner()
            var scratch = BPEMerger.Scratch()
            let family = preTokenizer
            addedTokens.forEachSegment(
                in: buffer,
                text: { segment in
                    scanner.split(buffer, range: segment, family: family) { piece in
                        appendPiece(UnsafeBufferPointer(rebasing: buffer[piece]), to: &ids, scratch: &scratch)
                    }
                },
                token: { ids.append($0) })
        }
        if addSpecialTokens, addEOS, let eosID { ids.append(eosID) }
        return ids
    }

    private func appendPiece(_ piece: UnsafeBufferPointer<UInt8>, to ids: inout [Int32], scratch: inout BPEMerger.Scratch) {
        if piece.count == 1 {
            let id = byteTokenIDs[Int(piece[0])]
            if id >= 0 { ids.append(id) }
            return
        }
        if let cached = pieceCache.lookup(piece) {
            ids.append(contentsOf: cached)
            return
        }
        let start = ids.count
        if ignoresMerges, let whole = wholePieceIDs[Array(piece)] {
            ids.append(whole)
        } else {
            merge(piece, into: &ids, scratch: &scratch)
        }
        pieceCache.store(ids[start...], for: piece)
    }

    /// Applies the merges to one piece and appends the resulting ids.
    private func merge(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout BPEMerger.Scratch) {
        scratch.symbols.removeAll(keepingCapacity: true)
        for byte in piece {
            let id = byteTokenIDs[Int(byte)]
            if id >= 0 { scratch.symbols.append(id) }
        }
        merger.merge(&scratch)
        ids.append(contentsOf: scratch.symbols)
    }

    // MARK: - Decoding

    /// The text of `ids`: byte-level tokens are turned back into bytes and decoded as UTF-8 (invalid
    /// sequences become U+FFFD), added tokens are written as they are. Ids outside the vocabulary are
    /// skipped.
    public func decode(_ ids: [Int32]) -> String {
        var result = ""
        var pending: [UInt8] = []
        func flush() {
            if !pending.isEmpty {
                result += String(decoding: pending, as: UTF8.self)
                pending.removeAll(keepingCapacity: true)
            }
        }
        for id in ids {
            guard specialTokens.contains(id) else { continue }
            if isAddedToken[Int(id)] {
                flush()
                result += String(decoding: tokenBytes[Int(id)], as: UTF8.self)
            } else {
                pending.append(contentsOf: tokenBytes[Int(id)])
            }
        }
        flush()
        return result
    }

    /// The bytes token `id` stands for (nil outside the vocabulary).
    public func bytes(ofToken id: Int32) -> [UInt8]? {
        guard specialTokens.contains(id) else { return nil }
        return tokenBytes[Int(id)]
    }
}
