import Foundation
import StrataUtilities
import Testing

@testable import StrataModel

/// Tokenizer parts that need no model: BPE merge order against a textbook implementation, added tokens,
/// errors, the byte alphabet and SHA-256.
struct TokenizerUnitTests {
    /// A vocabulary of the 256 byte tokens plus `mergeCount` random merges over the letters a–d, each
    /// merge joining two tokens that already exist (as trained BPE merges do).
    static func syntheticVocabulary(mergeCount: Int, seed: UInt64) -> TokenizerVocabulary {
        var generator = SplitMix64(state: seed)
        var tokens = (0..<256).map { String(Character(ByteLevelAlphabet.scalarForByte[$0])) }
        var known = Set(tokens)
        var pool = ["a", "b", "c", "d"]
        var merges: [String] = []
        while merges.count < mergeCount {
            let left = pool.randomElement(using: &generator)!
            let right = pool.randomElement(using: &generator)!
            let joined = left + right
            guard !known.contains(joined), joined.count <= 12 else { continue }
            known.insert(joined)
            tokens.append(joined)
            pool.append(joined)
            merges.append("\(left) \(right)")
        }
        return TokenizerVocabulary(tokens: tokens, merges: merges, model: "gpt2", pre: "gpt2")
    }

    /// GPT-2's original algorithm: repeatedly merge every occurrence of the best-ranked adjacent pair.
    static func textbookBPE(_ word: String, vocabulary: TokenizerVocabulary) -> [Int32] {
        var rank: [String: Int] = [:]
        for (index, merge) in vocabulary.merges.enumerated() { rank[merge] = index }
        var parts = word.map(String.init)
        while parts.count > 1 {
            var best: (rank: Int, pair: (String, String))? = nil
            for index in 0..<(parts.count - 1) {
                if let r = rank[parts[index] + " " + parts[index + 1]], r < (best?.rank ?? Int.max) {
                    best = (r, (parts[index], parts[index + 1]))
                }
            }
            guard let best else { break }
            var merged: [String] = []
            var index = 0
            while index < parts.count {
                if index + 1 < parts.count && parts[index] == best.pair.0 && parts[index + 1] == best.pair.1 {
                    merged.append(best.pair.0 + best.pair.1)
                    index += 2
                } else {
                    merged.append(parts[index])
                    index += 1
                }
            }
            parts = merged
        }
        let ids = Dictionary(vocabulary.tokens.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { $1 })
        return parts.map { ids[$0]! }
    }

    @Test func mergeOrderMatchesTextbookBPEShortAndLongWords() throws {
        let vocabulary = Self.syntheticVocabulary(mergeCount: 300, seed: 7)
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        var generator = SplitMix64(state: 99)
        // Lengths on both sides of the linear/heap switch-over.
        for length in [1, 2, 3, 5, 8, 13, 30, 47, 48, 49, 64, 100, 257, 600] {
            for _ in 0..<20 {
                let word = String((0..<length).map { _ in "abcd".randomElement(using: &generator)! })
                let expected = Self.textbookBPE(word, vocabulary: vocabulary)
                #expect(tokenizer.encode(word) == expected, "word \(word)")
                #expect(tokenizer.decode(expected) == word)
            }
        }
    }

    @Test func addedTokensMatchWholeAndLongestFirst() throws {
        var vocabulary = Self.syntheticVocabulary(mergeCount: 20, seed: 3)
        let base = vocabulary.tokens.count
        vocabulary.tokens += ["<s>", "<think>", "<thinking>", "<｜begin▁of▁sentence｜>"]
        vocabulary.tokenTypes = [Int32](repeating: 1, count: base) + [3, 4, 4, 3]
        vocabulary.bosID = base
        vocabulary.addBOS = true
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        let s = Int32(base), think = Int32(base + 1), thinking = Int32(base + 2)
        #expect(tokenizer.encode("<s>", addSpecialTokens: false) == [s])
        #expect(tokenizer.encode("<s>") == [s, s])
        #expect(tokenizer.encode("<thinking><think>", addSpecialTokens: false) == [thinking, think])
        let mixed = tokenizer.encode("a<think>b", addSpecialTokens: false)
        #expect(mixed.count == 3 && mixed[1] == think)
        // A control token outside the byte alphabet is not added (as transformers skips it): its text is
        // encoded as ordinary bytes.
        #expect(tokenizer.encode("<｜begin▁of▁sentence｜>", addSpecialTokens: false).count > 1)
        #expect(tokenizer.decode([s, think]) == "<s><think>")
    }

    @Test func unsupportedNamesAreReported() {
        var vocabulary = Self.syntheticVocabulary(mergeCount: 5, seed: 1)
        vocabulary.model = "llama"
        #expect(throws: TokenizerError.unsupportedModel("llama")) { try BPETokenizer(vocabulary: vocabulary) }
        vocabulary.model = "bert"
        #expect(throws: TokenizerError.unsupportedModel("bert")) { try Tokenizer(vocabulary: vocabulary) }
        let message = TokenizerError.unsupportedModel("bert").description
        #expect(message.contains("'bert'") && message.contains("supported: gpt2, llama"), "\(message)")
        vocabulary.model = "gpt2"
        vocabulary.pre = "deepseek-llm"
        #expect(throws: TokenizerError.unsupportedPreTokenizer("deepseek-llm")) {
            try BPETokenizer(vocabulary: vocabulary)
        }
        #expect(TokenizerError.unsupportedPreTokenizer("deepseek-llm").description.contains("'deepseek-llm'"))
    }

    @Test func badVocabulariesAreReported() {
        var vocabulary = Self.syntheticVocabulary(mergeCount: 5, seed: 1)
        vocabulary.merges.append("a zz")
        #expect(throws: TokenizerError.mergeTokenMissing(index: 5, merge: "a zz", token: "zz")) {
            try BPETokenizer(vocabulary: vocabulary)
        }
        vocabulary.merges[5] = "abc"
        #expect(throws: TokenizerError.malformedMerge(index: 5, merge: "abc")) {
            try BPETokenizer(vocabulary: vocabulary)
        }
        vocabulary.merges.removeLast()
        vocabulary.eosID = 10_000
        #expect(throws: TokenizerError.self) { try BPETokenizer(vocabulary: vocabulary) }
        vocabulary.eosID = nil
        vocabulary.tokenTypes = [1, 1]
        #expect(throws: TokenizerError.self) { try BPETokenizer(vocabulary: vocabulary) }
    }

    /// With ignore_merges (llama.cpp's llama-bpe names, Llama 3's tokenizer.json), a piece that is itself a
    /// token is kept whole even where the merges would not build it; without it (dbrx, same regex) it is merged.
    @Test func ignoreMergesKeepsWholeTokens() throws {
        var vocabulary = TokenizerVocabulary(
            tokens: (0..<256).map { String(Character(ByteLevelAlphabet.scalarForByte[$0])) } + ["bc", "abc"],
            merges: ["b c"], model: "gpt2", pre: "llama-bpe")
        let a = Int32(0x61), bc = Int32(256), abc = Int32(257)
        let whole = try BPETokenizer(vocabulary: vocabulary)
        #expect(whole.ignoresMerges)
        #expect(whole.encode("abc xabc") == [abc, 0x20, Int32(0x78), a, bc])
        vocabulary.pre = "dbrx"
        let merged = try BPETokenizer(vocabulary: vocabulary)
        #expect(!merged.ignoresMerges && merged.preTokenizer == whole.preTokenizer)
        #expect(merged.encode("abc") == [a, bc])
        #expect(merged.identity != whole.identity)
    }

    /// Where a GGUF file has no add_bos_token / add_space_prefix, llama.cpp's defaults apply: SentencePiece adds
    /// BOS and a dummy prefix; byte-level BPE adds BOS only for the Llama 3 names.
    @Test func missingFlagsTakeLlamaCppDefaults() {
        #expect(TokenizerVocabulary.llamaCppDefaults(model: "llama", pre: "default") == (true, true))
        #expect(TokenizerVocabulary.llamaCppDefaults(model: "gpt2", pre: "llama-bpe") == (true, false))
        #expect(TokenizerVocabulary.llamaCppDefaults(model: "gpt2", pre: "smollm") == (false, false))
        #expect(TokenizerVocabulary.llamaCppDefaults(model: "gpt2", pre: "qwen2") == (false, false))
    }

    @Test func byteAlphabetIsGPT2s() {
        let alphabet = ByteLevelAlphabet.scalarForByte
        #expect(Set(alphabet).count == 256)
        #expect(alphabet[0x20] == "Ġ" && alphabet[0x0A] == "Ċ" && alphabet[0x41] == "A" && alphabet[0xAD] == "Ń")
        for byte in 0..<256 { #expect(ByteLevelAlphabet.byte(for: alphabet[byte]) == UInt8(byte)) }
        #expect(ByteLevelAlphabet.bytes(ofSpelling: "Ġhi") == [0x20, 0x68, 0x69])
        #expect(ByteLevelAlphabet.bytes(ofSpelling: "▁") == nil)
    }

    @Test func identityChangesWithTheVocabulary() throws {
        let vocabulary = Self.syntheticVocabulary(mergeCount: 30, seed: 5)
        var changed = vocabulary
        changed.merges.removeLast()
        #expect(try BPETokenizer(vocabulary: vocabulary).identity == BPETokenizer(vocabulary: vocabulary).identity)
        #expect(try BPETokenizer(vocabulary: vocabulary).identity != BPETokenizer(vocabulary: changed).identity)
    }

    @Test func concurrentEncodingAgrees() async throws {
        let vocabulary = Self.syntheticVocabulary(mergeCount: 200, seed: 11)
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        let texts = (0..<64).map { index in String(repeating: "abcd dcba cab ", count: index % 7 + 1) + "\(index)" }
        let serial = texts.map { tokenizer.encode($0) }
        let parallel = await withTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, text) in texts.enumerated() { group.addTask { (index, tokenizer.encode(text)) } }
            var results = [[Int32]](repeating: [], count: texts.count)
            for await (index, ids) in group { results[index] = ids }
            return results
        }
        #expect(parallel == serial)
    }
}
