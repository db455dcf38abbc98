import Foundation
import Testing

@testable import StrataModel

/// The SentencePiece tokenizer against Hugging Face `tokenizers` built from the same .model files as each
/// family publishes its tokenizer.json (Llama: dummy prefix; Gemma: none), on two small SentencePiece BPE
/// models trained on samples/ and converted to GGUF by llama.cpp's converter (fixture:
/// Tests/StrataModelTests/Fixtures/tokenizer/gen_sentencepiece_fixture.py, which also checks SentencePiece itself gives the same ids). Needs no
/// model download.
struct TokenizerSentencePieceTests {
    struct Fixture: Decodable {
        struct DecodeCase: Decodable {
            let ids: [Int32]
            let text: String
        }
        struct File: Decodable {
            let add_special_tokens: [[Int32]]
            let no_special_tokens: [[Int32]]
            let decode_cases: [DecodeCase]
        }
        let texts: [String]
        let files: [String: File]
    }

    static func tokenizer(_ name: String) throws -> SentencePieceTokenizer {
        guard case .sentencePiece(let tokenizer) = try Tokenizer(gguf: GGUFFile(path: TokenizerFixtures.path(name)))
        else { throw TokenizerError.unsupportedModel("\(name) did not give a SentencePiece tokenizer") }
        return tokenizer
    }

    @Test(arguments: ["spm-llama.gguf", "spm-gemma.gguf"])
    func encodesLikeThePublishedTokenizer(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let fixture = try TokenizerFixtures.load("spm.json", as: Fixture.self)
        let expected = try #require(fixture.files[name])
        #expect(fixture.texts.count > 100 && fixture.texts.contains { $0.utf8.count > 1000 })
        let failures = TokenizerFixtures.countMismatches(
            tokenizer, texts: fixture.texts, withSpecialTokens: expected.add_special_tokens,
            withoutSpecialTokens: expected.no_special_tokens, label: name)
        #expect(failures == 0, "\(failures) encodings differ")
    }

    @Test(arguments: ["spm-llama.gguf", "spm-gemma.gguf"])
    func decodesLikeThePublishedTokenizer(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let fixture = try TokenizerFixtures.load("spm.json", as: Fixture.self)
        let cases = try #require(fixture.files[name]).decode_cases
        #expect(cases.count > 100)
        for testCase in cases {
            #expect(tokenizer.decode(testCase.ids) == testCase.text, "ids \(testCase.ids)")
        }
    }

    /// The GGUF flags as llama.cpp's converter wrote them: Llama adds BOS and a dummy prefix, the Gemma-style
    /// file has add_space_prefix false (and add_eos_token true, set to exercise it).
    @Test func flagsAndSpecialTokens() throws {
        let llama = try Self.tokenizer("spm-llama.gguf")
        #expect(llama.addBOS && !llama.addEOS && llama.addSpacePrefix)
        #expect(llama.bosID == 1 && llama.eosID == 2 && llama.unknownID == 0)
        #expect(llama.encode("") == [1] && llama.encode("", addSpecialTokens: false) == [])
        #expect(llama.encode("<s>", addSpecialTokens: false) == [1])
        let gemma = try Self.tokenizer("spm-gemma.gguf")
        #expect(gemma.addBOS && gemma.addEOS && !gemma.addSpacePrefix)
        #expect(gemma.bosID == 2 && gemma.eosID == 1 && gemma.unknownID == 3 && gemma.paddingID == 0)
        #expect(gemma.encode("") == [2, 1])
        #expect(gemma.encode("<start_of_turn><end_of_turn>", addSpecialTokens: false) == [4, 5])
        #expect(llama.identity != gemma.identity)
        #expect(try Self.tokenizer("spm-llama.gguf").identity == llama.identity)
    }

    /// A character without a token of its own becomes its UTF-8 bytes (`<0xNN>` tokens), after the dummy prefix.
    @Test func byteFallbackForCharactersWithoutTokens() throws {
        let llama = try Self.tokenizer("spm-llama.gguf")
        let emoji = llama.encode("😀", addSpecialTokens: false)
        #expect(emoji.map { llama.bytes(ofToken: $0) ?? [] } == [[0x20], [0xF0], [0x9F], [0x98], [0x80]], "\(emoji)")
        #expect(llama.decode(emoji) == "😀")
        #expect(SentencePieceTokenizer.byteTokenText(0x0A) == "<0x0A>")
    }

    /// Decoding inverts encoding for text without added tokens or a literal `▁`.
    @Test(arguments: ["spm-llama.gguf", "spm-gemma.gguf"])
    func roundTripsFixtureTexts(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let fixture = try TokenizerFixtures.load("spm.json", as: Fixture.self)
        var checked = 0
        for text in fixture.texts where !text.contains("<") && !text.contains("\u{2581}") {
            #expect(tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false)) == text, "\(text.debugDescription)")
            checked += 1
        }
        #expect(checked > 100)
    }

    /// `minimumTokenCount(utf8Count:)` never exceeds the real count (capture skips texts by it unencoded),
    /// and there is no bound without a byte token for every byte.
    @Test func tokenCountBoundHolds() throws {
        let fixture = try TokenizerFixtures.load("spm.json", as: Fixture.self)
        for name in ["spm-llama.gguf", "spm-gemma.gguf"] {
            let tokenizer = try Tokenizer(gguf: GGUFFile(path: TokenizerFixtures.path(name)))
            #expect(tokenizer.longestTokenBytes != nil)
            for text in fixture.texts + [String(repeating: " ", count: 3000), String(repeating: "\u{2581}", count: 999)] {
                let count = tokenizer.encode(text, addSpecialTokens: false).count
                #expect(count >= tokenizer.minimumTokenCount(utf8Count: text.utf8.count), "\(name) \(text.prefix(40).debugDescription)")
            }
        }
        let noBytes = try SentencePieceTokenizer(
            vocabulary: TokenizerVocabulary(
                tokens: ["<unk>", "b"], scores: [0, -1], unknownID: 0, model: "llama", pre: "default"))
        #expect(noBytes.longestTokenBytes == nil && noBytes.minimumTokenCount(utf8Count: 10) == 0)
    }

    @Test func badVocabulariesAreReported() {
        var vocabulary = TokenizerVocabulary(tokens: ["<unk>", "<s>", "</s>", "▁", "a"], model: "llama", pre: "default")
        #expect(throws: TokenizerError.scoreCountMismatch(tokens: 5, scores: 0)) {
            try Tokenizer(vocabulary: vocabulary)
        }
        vocabulary.scores = [0, 0, 0, -1, -2]
        vocabulary.bosID = 9
        #expect(throws: TokenizerError.specialTokenOutOfRange(name: "BOS", id: 9, vocabularySize: 5)) {
            try Tokenizer(vocabulary: vocabulary)
        }
        vocabulary.bosID = 1
        guard case .sentencePiece = try? Tokenizer(vocabulary: vocabulary) else {
            Issue.record("a llama vocabulary did not give a SentencePiece tokenizer")
            return
        }
    }

    /// Merges follow the score of the merged token (highest first), leftmost on ties — SentencePiece BPE.
    @Test func mergesFollowScores() throws {
        // "ab" scores above "bc", so "abc" is ab + c; with the scores swapped it is a + bc.
        let tokens = ["<unk>", "▁", "a", "b", "c", "ab", "bc"]
        var vocabulary = TokenizerVocabulary(
            tokens: tokens, tokenTypes: [2, 1, 1, 1, 1, 1, 1], scores: [0, -1, -2, -3, -4, -5, -6], unknownID: 0,
            model: "llama", pre: "default")
        let abFirst = try SentencePieceTokenizer(vocabulary: vocabulary)
        #expect(abFirst.encode("abc") == [5, 4])
        vocabulary.scores = [0, -1, -2, -3, -4, -6, -5]
        #expect(try SentencePieceTokenizer(vocabulary: vocabulary).encode("abc") == [2, 6])
        // Equal scores: the leftmost pair merges first ("bb" at 0, then nothing at 2).
        let repeated = TokenizerVocabulary(
            tokens: ["<unk>", "b", "bb"], scores: [0, -1, -2], unknownID: 0, model: "llama", pre: "default")
        #expect(try SentencePieceTokenizer(vocabulary: repeated).encode("bbb") == [2, 1])
        // No token and no byte tokens: one unknown token for a run of such characters.
        #expect(try SentencePieceTokenizer(vocabulary: repeated).encode("bxyb") == [1, 0, 1])
    }
}
