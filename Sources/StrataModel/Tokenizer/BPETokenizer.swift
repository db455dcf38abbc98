/// A byte-level BPE tokenizer (GPT-2 style) built from a GGUF vocabulary, producing the same ids as the
/// Hugging Face tokenizer transformers builds from that GGUF file.
///
/// Encoding: added tokens (control, user-defined) are cut out of the raw text first and kept whole; the
/// text between them is split by the family's pre-tokenizer; each piece's UTF-8 bytes become byte tokens
/// that are merged by rank (lowest first, leftmost on ties). Merge results are cached per piece.
///
/// Thread-safe: the only mutable state is the piece cache, which guards itself with a lock.
public final class BPETokenizer: Sendable {
    /// `tokenizer.ggml.model` values this type implements.
    public static let supportedModels = ["gpt2"]

    /// Number of tokens (ids are `0..<vocabularySize`).
    public let vocabularySize: Int
    public let bosID: Int32?
    public let eosID: Int32?
    public let unknownID: Int32?
    public let paddingID: Int32?
    /// Whether `encode(_:addSpecialTokens: true)` prepends BOS / appends EOS.
    public let addBOS: Bool
    public let addEOS: Bool
    /// The pre-tokenizer family in use.
    public let preTokenizer: PreTokenizer
    /// `sha256:<hex>` over everything that decides the ids: model, pre-tokenizer family, tokens, token
    /// types, merges, BOS/EOS ids and add flags. Two tokenizers with equal identity encode alike.
    public let identity: String
    /// The most bytes of text one token stands for, or nil when some byte value has no token (such bytes
    /// are dropped, so a text's length no longer bounds its token count from below).
    public let longestTokenBytes: Int?

    private let mergeTable: BPEMergeTable
    /// Token id of each single byte, or -1 if the vocabulary lacks it (such bytes are dropped, as in HF).
    private let byteTokenIDs: [Int32]
    /// The bytes each token decodes to.
    private let tokenBytes: [[UInt8]]
    /// Tokens decoded verbatim rather than through the byte alphabet (the added tokens).
    private let isAddedToken: [Bool]
    private let addedTokens: SpecialTokenMatcher

    private let pieceCache = PieceCache()

    /// Builds the tokenizer. `reference` says whose reading of `vocabulary.pre` to follow; the default
    /// matches Hugging Face transformers loading the same GGUF (see `PreTokenizer.Reference`).
    public init(vocabulary: TokenizerVocabulary, reference: PreTokenizer.Reference = .transformersGGUF) throws {
        guard Self.supportedModels.contains(vocabulary.model) else {
            throw TokenizerError.unsupportedModel(vocabulary.model)
        }
        guard let family = PreTokenizer.family(forGGUFName: vocabulary.pre, reference: reference) else {
            throw TokenizerError.unsupportedPreTokenizer(vocabulary.pre)
        }
        let tokens = vocabulary.tokens
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw TokenizerError.badVocabularySize(tokens.count)
        }
        if !vocabulary.tokenTypes.isEmpty && vocabulary.tokenTypes.count != tokens.count {
            throw TokenizerError.tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: vocabulary.tokenTypes.count)
        }
        func checkedID(_ id: Int?, _ name: String) throws -> Int32? {
            guard let id else { return nil }
            guard id >= 0 && id < tokens.count else {
                throw TokenizerError.specialTokenOutOfRange(name: name, id: id, vocabularySize: tokens.count)
            }
            return Int32(id)
        }
        bosID = try checkedID(vocabulary.bosID, "BOS")
        eosID = try checkedID(vocabulary.eosID, "EOS")
        unknownID = try checkedID(vocabulary.unknownID, "unknown")
        paddingID = try checkedID(vocabulary.paddingID, "padding")
        vocabularySize = tokens.count
        addBOS = vocabulary.addBOS
        addEOS = vocabulary.addEOS
        preTokenizer = family

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
        mergeTable = table

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

        identity = Self.identity(of: vocabulary, family: family)
    }

    private static func identity(of vocabulary: TokenizerVocabulary, family: PreTokenizer) -> String {
        var hasher = SHA256Digest()
        func field(_ text: String) {
            let bytes = Array(text.utf8)
            var length = UInt64(bytes.count)
            hasher.update(withUnsafeBytes(of: &length) { Array($0) })
            hasher.update(bytes)
        }
        field("strata-bpe-tokenizer-v1")
        field(vocabulary.model)
        field(family.rawValue)
        field(String(vocabulary.tokens.count))
        for token in vocabulary.tokens { field(token) }
        field(vocabulary.tokenTypes.map(String.init).joined(separator: ","))
        field(String(vocabulary.merges.count))
        for merge in vocabulary.merges { field(merge) }
        field("bos=\(vocabulary.bosID.map(String.init) ?? "-") eos=\(vocabulary.eosID.map(String.init) ?? "-")")
        field("addBOS=\(vocabulary.addBOS) addEOS=\(vocabulary.addEOS)")
        return "sha256:" + hasher.finalize()
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
            var scratch = MergeScratch()
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

    /// The fewest tokens `encode` can return for a text of `utf8Count` bytes, without encoding it: every
    /// byte of the text is covered by exactly one token and no token covers more than `longestTokenBytes`
    /// (0 when that bound does not exist). Lets a caller refuse a text that cannot fit a token budget
    /// before paying to encode it.
    public func minimumTokenCount(utf8Count: Int) -> Int {
        guard let longest = longestTokenBytes, longest > 0 else { return 0 }
        return (utf8Count + longest - 1) / longest
    }

    private func appendPiece(_ piece: UnsafeBufferPointer<UInt8>, to ids: inout [Int32], scratch: inout MergeScratch) {
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
        merge(piece, into: &ids, scratch: &scratch)
        pieceCache.store(ids[start...], for: piece)
    }

    /// Reusable buffers for the merge loop.
    private struct MergeScratch {
        var symbols: [Int32] = []
        var next: [Int32] = []
        var previous: [Int32] = []
        var heap: [UInt64] = []
    }

    /// Pieces up to this many bytes merge by rescanning all pairs each step; longer ones use a heap.
    private static let linearMergeLimit = 48

    /// Applies the merges to one piece and appends the resulting ids.
    private func merge(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout MergeScratch) {
        scratch.symbols.removeAll(keepingCapacity: true)
        for byte in piece {
            let id = byteTokenIDs[Int(byte)]
            if id >= 0 { scratch.symbols.append(id) }
        }
        if scratch.symbols.count > Self.linearMergeLimit {
            mergeWithHeap(&scratch)
        } else {
            mergeLinear(&scratch.symbols)
        }
        ids.append(contentsOf: scratch.symbols)
    }

    private func mergeLinear(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestPosition = -1
            var bestResult: Int32 = 0
            for position in 0..<(symbols.count - 1) {
                if let rule = mergeTable.lookup(symbols[position], symbols[position + 1]), rule.rank < bestRank {
                    bestRank = rule.rank
                    bestPosition = position
                    bestResult = rule.result
                }
            }
            if bestPosition < 0 { return }
            symbols[bestPosition] = bestResult
            symbols.remove(at: bestPosition + 1)
        }
    }

    /// The same merge order as `mergeLinear` — lowest rank first, leftmost on ties — in O(n log n): a
    /// linked list of symbols and a min-heap of (rank, left position); stale heap entries are skipped.
    private func mergeWithHeap(_ scratch: inout MergeScratch) {
        let count = scratch.symbols.count
        scratch.next = (0..<count).map { Int32($0 + 1) }
        scratch.previous = (0..<count).map { Int32($0 - 1) }
        scratch.next[count - 1] = -1
        scratch.heap.removeAll(keepingCapacity: true)
        var heap = MinHeap(storage: scratch.heap)
        func entry(_ rank: Int32, _ position: Int) -> UInt64 { UInt64(UInt32(rank)) << 32 | UInt64(position) }
        for position in 0..<(count - 1) {
            if let rule = mergeTable.lookup(scratch.symbols[position], scratch.symbols[position + 1]) {
                heap.push(entry(rule.rank, position))
            }
        }
        while let top = heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let position = Int(top & 0xFFFF_FFFF)
            let right = Int(scratch.next[position])
            // Stale if the left symbol was absorbed, has no right neighbour, or the pair changed.
            guard scratch.symbols[position] >= 0, right >= 0,
                let rule = mergeTable.lookup(scratch.symbols[position], scratch.symbols[right]), rule.rank == rank
            else { continue }
            scratch.symbols[position] = rule.result
            scratch.symbols[right] = -1
            let afterRight = Int(scratch.next[right])
            scratch.next[position] = Int32(afterRight)
            if afterRight >= 0 { scratch.previous[afterRight] = Int32(position) }
            let before = Int(scratch.previous[position])
            if before >= 0, let left = mergeTable.lookup(scratch.symbols[before], rule.result) {
                heap.push(entry(left.rank, before))
            }
            if afterRight >= 0, let next = mergeTable.lookup(rule.result, scratch.symbols[afterRight]) {
                heap.push(entry(next.rank, position))
            }
        }
        scratch.heap = heap.storage
        var write = 0
        for read in 0..<count where scratch.symbols[read] >= 0 {
            scratch.symbols[write] = scratch.symbols[read]
            write += 1
        }
        scratch.symbols.removeLast(count - write)
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
            guard id >= 0 && Int(id) < vocabularySize else { continue }
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
        guard id >= 0 && Int(id) < vocabularySize else { return nil }
        return tokenBytes[Int(id)]
    }
}

/// A binary min-heap of packed (rank, position) keys.
private struct MinHeap {
    var storage: [UInt64]

    mutating func push(_ value: UInt64) {
        storage.append(value)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if storage[parent] <= storage[child] { break }
            storage.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let last = storage.popLast() else { return nil }
        guard !storage.isEmpty else { return last }
        let top = storage[0]
        storage[0] = last
        var parent = 0
        let count = storage.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            let right = left + 1
            let smaller = right < count && storage[right] < storage[left] ? right : left
            if storage[parent] <= storage[smaller] { break }
            storage.swapAt(parent, smaller)
            parent = smaller
        }
        return top
    }
}
