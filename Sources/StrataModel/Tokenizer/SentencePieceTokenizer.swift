/// A SentencePiece-style tokenizer (`tokenizer.ggml.model` = "llama": Llama 1/2, Mistral v0.1, Gemma, …)
/// built from GGUF metadata, producing the ids of the model's published Hugging Face tokenizer — which are
/// also llama.cpp's and, for text without added tokens, SentencePiece's own.
///
/// Encoding: added tokens (control, unknown, user-defined) are cut out of the raw text first and kept whole.
/// Each run of text between them gets a `▁` in front when `addSpacePrefix` is set (Llama's dummy prefix:
/// after the start and after every added token, as llama.cpp and Hugging Face's published Llama tokenizer
/// do; Gemma has none), and its spaces become `▁`. The run's characters are then merged pairwise, the pair
/// whose joined text is the token of highest score first (leftmost on ties) — SentencePiece BPE as llama.cpp
/// runs it, and as Hugging Face runs it with merges ranked by score. A character with no token of its own is
/// written as its UTF-8 bytes (`<0xNN>` tokens, byte fallback), or as the unknown token where a byte token is
/// missing (consecutive ones fused into one, as Hugging Face's `fuse_unk`).
///
/// Decoding follows Hugging Face's decoder: `▁` becomes a space, each run of byte tokens becomes its UTF-8
/// text (every byte of an invalid run becomes U+FFFD), special tokens are written as they are, and with
/// `addSpacePrefix` one leading space is dropped.
///
/// Thread-safe: no mutable state.
public final class SentencePieceTokenizer: TokenizerModel {
    /// The `tokenizer.ggml.model` value this type implements.
    public static let model = "llama"
    /// The character SentencePiece writes for a space.
    static let spaceMarker: Unicode.Scalar = "\u{2581}"

    public let specialTokens: SpecialTokens
    /// Whether each run of text gets a `▁` in front (`tokenizer.ggml.add_space_prefix`).
    public let addSpacePrefix: Bool
    /// `sha256:<hex>` over tokens, scores, token types, BOS/EOS/unknown ids and the add flags.
    public let identity: String
    /// The longest token text in UTF-8 bytes (a `▁` counted as its 3 bytes, though a space is 1), or nil when
    /// some byte has no `<0xNN>` token (a character without a token may then become one unknown token).
    public let longestTokenBytes: Int?

    private let merger: BPEMerger
    /// Token id of each ASCII character (with a space read as `▁`), -1 where there is none.
    private let asciiIDs: [Int32]
    /// Token ids of the other one-character tokens.
    private let scalarIDs: [UInt32: Int32]
    /// The `<0xNN>` token of each byte, -1 where there is none.
    private let byteTokenIDs: [Int32]
    /// For each token: its byte if it is a `<0xNN>` token, else -1.
    private let byteOfToken: [Int16]
    /// The text each token decodes to (`▁` as a space).
    private let decodedBytes: [[UInt8]]
    private let addedTokens: SpecialTokenMatcher

    public init(vocabulary: TokenizerVocabulary) throws {
        guard vocabulary.model == Self.model else {
            throw TokenizerError.unsupportedModel(vocabulary.model)
        }
        try vocabulary.checkShape()
        let tokens = vocabulary.tokens
        guard vocabulary.scores.count == tokens.count else {
            throw TokenizerError.scoreCountMismatch(tokens: tokens.count, scores: vocabulary.scores.count)
        }
        specialTokens = try SpecialTokens(vocabulary: vocabulary)
        addSpacePrefix = vocabulary.addSpacePrefix

        // Token ids by text; a later duplicate wins (llama.cpp's and Hugging Face's maps do the same).
        var idForText: [Substring: Int32] = [:]
        idForText.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() { idForText[Substring(token)] = Int32(index) }

        var ascii = [Int32](repeating: -1, count: 128)
        var scalars: [UInt32: Int32] = [:]
        for (text, id) in idForText where text.unicodeScalars.count == 1 {
            let value = text.unicodeScalars.first!.value
            if value < 128 { ascii[Int(value)] = id } else { scalars[value] = id }
        }
        if let marker = scalars[Self.spaceMarker.value] { ascii[0x20] = marker } else { ascii[0x20] = -1 }
        asciiIDs = ascii
        scalarIDs = scalars

        var byteIDs = [Int32](repeating: -1, count: 256)
        var byteOf = [Int16](repeating: -1, count: tokens.count)
        for byte in 0..<256 {
            guard let id = idForText[Substring(Self.byteTokenText(UInt8(byte)))] else { continue }
            byteIDs[byte] = id
            byteOf[Int(id)] = Int16(byte)
        }
        byteTokenIDs = byteIDs
        byteOfToken = byteOf
        longestTokenBytes = byteIDs.contains(-1) ? nil : tokens.map(\.utf8.count).max()

        merger = BPEMerger(table: Self.mergeTable(idForText: idForText, scores: vocabulary.scores))

        // Added tokens, matched whole in the raw text: control and unknown tokens (special in Hugging Face,
        // parsed as special by llama.cpp) and user-defined ones.
        var added: [(text: String, id: Int32)] = []
        for (index, token) in tokens.enumerated() {
            switch vocabulary.type(of: index) {
            case .control, .unknown, .userDefined:
                if idForText[Substring(token)] == Int32(index) { added.append((token, Int32(index))) }
            default:
                break
            }
        }
        addedTokens = SpecialTokenMatcher(tokens: added)
        decodedBytes = tokens.map { token in
            var text = String.UnicodeScalarView()
            for scalar in token.unicodeScalars { text.append(scalar == Self.spaceMarker ? " " : scalar) }
            return Array(String(text).utf8)
        }

        var fingerprint = TokenizerFingerprint(version: "strata-sentencepiece-tokenizer-v1")
        fingerprint.field(vocabulary.model)
        fingerprint.fields(tokens)
        fingerprint.field(vocabulary.scores.map { String($0.bitPattern) }.joined(separator: ","))
        fingerprint.field(vocabulary.tokenTypes.map(String.init).joined(separator: ","))
        fingerprint.field(
            "bos=\(vocabulary.bosID.map(String.init) ?? "-") eos=\(vocabulary.eosID.map(String.init) ?? "-") "
                + "unk=\(vocabulary.unknownID.map(String.init) ?? "-")")
        fingerprint.field("addBOS=\(vocabulary.addBOS) addEOS=\(vocabulary.addEOS) addSpacePrefix=\(addSpacePrefix)")
        identity = fingerprint.finish()
    }

    /// `<0xNN>`, SentencePiece's name for the byte-fallback token of `byte`.
    static func byteTokenText(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])>"
    }

    /// One rule per way of cutting a token's text into two tokens (at a character boundary): the pair merges
    /// into the token, ranked by its score (highest score = rank 0; equal scores, equal rank).
    private static func mergeTable(idForText: [Substring: Int32], scores: [Float]) -> BPEMergeTable {
        let ordered = Set(scores.map { $0.isNaN ? -Float.infinity : $0 }).sorted(by: >)
        var rankOfScore: [Float: Int32] = [:]
        for (rank, score) in ordered.enumerated() { rankOfScore[score] = Int32(rank) }
        var rules: [(left: Int32, right: Int32, rank: Int32, result: Int32)] = []
        for (text, id) in idForText where text.unicodeScalars.count > 1 {
            let score = scores[Int(id)]
            let rank = rankOfScore[score.isNaN ? -Float.infinity : score]!
            var cut = text.unicodeScalars.index(after: text.unicodeScalars.startIndex)
            while cut < text.unicodeScalars.endIndex {
                if let left = idForText[text[..<cut]], let right = idForText[text[cut...]] {
                    rules.append((left, right, rank, id))
                }
                cut = text.unicodeScalars.index(after: cut)
            }
        }
        var table = BPEMergeTable(capacity: rules.count)
        for rule in rules { table.insert(left: rule.left, right: rule.right, rank: rule.rank, result: rule.result) }
        return table
    }

    // MARK: - Encoding

    /// Token ids of `text`. With `addSpecialTokens`, BOS/EOS are added where the add flags say so. Added-token
    /// strings in the text (such as `<s>`) become their ids either way, as in Hugging Face.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 2 + 2)
        if addSpecialTokens, addBOS, let bosID { ids.append(bosID) }
        var text = text
        text.withUTF8 { buffer in
            var scratch = BPEMerger.Scratch()
            var afterToken = true // the start counts as following a token (llama.cpp's is_prev_special)
            addedTokens.forEachSegment(
                in: buffer,
                text: { segment in
                    encodeRun(
                        UnsafeBufferPointer(rebasing: buffer[segment]), prefixed: addSpacePrefix && afterToken,
                        into: &ids, scratch: &scratch)
                    afterToken = false
                },
                token: { id in
                    ids.append(id)
                    afterToken = true
                })
        }
        if addSpecialTokens, addEOS, let eosID { ids.append(eosID) }
        return ids
    }

    /// Encodes one run of text between added tokens: characters with a token are merged in stretches, the
    /// others fall back to bytes (or the unknown token).
    private func encodeRun(
        _ bytes: UnsafeBufferPointer<UInt8>, prefixed: Bool, into ids: inout [Int32], scratch: inout BPEMerger.Scratch
    ) {
        scratch.symbols.removeAll(keepingCapacity: true)
        var lastWasUnknown = false
        func flush() {
            guard !scratch.symbols.isEmpty else { return }
            merger.merge(&scratch)
            ids.append(contentsOf: scratch.symbols)
            scratch.symbols.removeAll(keepingCapacity: true)
            lastWasUnknown = false
        }
        func append(_ scalar: Unicode.Scalar) {
            let id = scalar.value < 128 ? asciiIDs[Int(scalar.value)] : (scalarIDs[scalar.value] ?? -1)
            if id >= 0 {
                scratch.symbols.append(id)
                return
            }
            flush()
            let character = scalar == " " ? Self.spaceMarker : scalar
            let fallback = UTF8.encode(character)!.map { byteTokenIDs[Int($0)] }
            if fallback.allSatisfy({ $0 >= 0 }) {
                ids.append(contentsOf: fallback)
                lastWasUnknown = false
            } else if let unknownID, !lastWasUnknown {
                ids.append(unknownID)
                lastWasUnknown = true
            }
        }
        if prefixed { append(Self.spaceMarker) }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            append(scalar)
        }
        flush()
    }

    // MARK: - Decoding

    public func decode(_ ids: [Int32]) -> String {
        var output: [UInt8] = []
        var byteRun: [UInt8] = []
        func flushBytes() {
            guard !byteRun.isEmpty else { return }
            if String(validating: byteRun, as: UTF8.self) != nil {
                output.append(contentsOf: byteRun)
            } else {
                for _ in byteRun { output.append(contentsOf: [0xEF, 0xBF, 0xBD]) } // U+FFFD per byte
            }
            byteRun.removeAll(keepingCapacity: true)
        }
        for id in ids where specialTokens.contains(id) {
            let byte = byteOfToken[Int(id)]
            if byte >= 0 {
                byteRun.append(UInt8(byte))
            } else {
                flushBytes()
                output.append(contentsOf: decodedBytes[Int(id)])
            }
        }
        flushBytes()
        if addSpacePrefix && output.first == 0x20 { output.removeFirst() }
        return String(decoding: output, as: UTF8.self)
    }

    public func bytes(ofToken id: Int32) -> [UInt8]? {
        guard specialTokens.contains(id) else { return nil }
        let byte = byteOfToken[Int(id)]
        return byte >= 0 ? [UInt8(byte)] : decodedBytes[Int(id)]
    }
}
