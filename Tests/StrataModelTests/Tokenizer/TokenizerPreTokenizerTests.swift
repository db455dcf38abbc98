import Foundation
import Testing

@testable import StrataModel

/// The hand-written pre-tokenizer scanners against Hugging Face `tokenizers` pre-tokenizers (fixture:
/// Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py): hand-written cases, real reviews and random Unicode strings.
struct TokenizerPreTokenizerTests {
    @Test(arguments: PreTokenizer.allCases)
    func splitsLikeTokenizers(family: PreTokenizer) throws {
        let fixture = try TokenizerFixtures.load("pretokenizers.json", as: TokenizerFixtures.PreTokenizers.self)
        let expected = try #require(fixture.pieces[family.rawValue], "no fixture for \(family)")
        #expect(expected.count == fixture.texts.count && fixture.texts.count > 500)
        var failures = 0
        for (text, pieces) in zip(fixture.texts, expected) {
            let actual = family.split(text)
            if actual != pieces {
                failures += 1
                if failures <= 3 {
                    let position =
                        (0..<min(actual.count, pieces.count)).first { actual[$0] != pieces[$0] } ?? min(actual.count, pieces.count)
                    Issue.record(
                        Comment(
                            rawValue:
                                "\(family) \(text.debugDescription): first difference at piece \(position): expected "
                                + "\(Array(pieces[position...].prefix(3))) got \(Array(actual[position...].prefix(3)))"))
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(fixture.texts.count) texts split differently")
    }

    /// Every accepted `tokenizer.ggml.pre` name reads as llama.cpp's table says (src/llama-vocab.cpp, written
    /// into the fixture by the generator): the pre-tokenizer type, ignore_merges and the default add_bos.
    @Test func ggufNamesReadAsLlamaCppReadsThem() throws {
        let fixture = try TokenizerFixtures.load("pretokenizers.json", as: TokenizerFixtures.PreTokenizers.self)
        let familyOfType: [String: PreTokenizer] = [
            "GPT2": .gpt2, "SMOLLM": .gpt2IsolatedDigits, "STARCODER": .gpt2IsolatedDigits,
            "LLAMA3": .llama3, "DBRX": .llama3, "SMAUG": .llama3, "QWEN2": .qwen2
        ]
        for name in PreTokenizer.supportedNames where name != "gpt2" {
            let expected = try #require(fixture.llama_cpp[name], "llama.cpp has no pre-tokenizer '\(name)'")
            let reading = try #require(PreTokenizer.reading(forGGUFName: name))
            #expect(reading.family == familyOfType[expected.type], "\(name): llama.cpp type \(expected.type)")
            #expect(reading.ignoresMerges == expected.ignore_merges, "\(name)")
            #expect(reading.addsBOSByDefault == expected.add_bos, "\(name)")
        }
        // "gpt2" is not a llama.cpp name (its converter writes "gpt-2"); Strata reads it as GPT-2's regex.
        #expect(fixture.llama_cpp["gpt2"] == nil)
        #expect(PreTokenizer.reading(forGGUFName: "gpt2") == PreTokenizer.reading(forGGUFName: "gpt-2"))
        #expect(PreTokenizer.reading(forGGUFName: "deepseek-llm") == nil)
    }

    @Test func piecesCoverTheTextExactly() {
        let text = "It's  123 \r\n\t😀👍🏽 ab'LL x  "
        for family in PreTokenizer.allCases {
            #expect(family.split(text).joined() == text, "\(family)")
        }
    }
}
