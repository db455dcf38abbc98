import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// The tokenizer built from the real SmolLM2 GGUF against SmolLM2's published tokenizer (its tokenizer.json
/// settings over the GGUF's vocabulary, in Hugging Face `tokenizers`; llama.cpp's converter names it `smollm`;
/// fixture: Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py). Skipped when the model is absent, unless CI=true.
struct TokenizerSmolLM2Tests {
    @Test(.needsRealModel) func encodesEveryFixtureTextLikeThePublishedTokenizer() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        #expect(fixture.cases.count >= 2000)
        var failures = 0
        for testCase in fixture.cases {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: fixture.add_special_tokens)
            if ids != testCase.ids {
                failures += 1
                if failures <= 3 {
                    Issue.record(
                        Comment(
                            rawValue: "[\(testCase.source)] "
                                + TokenizerFixtures.mismatch(
                                    text: testCase.text, expected: testCase.ids, actual: ids, tokenizer: tokenizer)))
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(fixture.cases.count) texts differ")
    }

    /// SmolLM2's pre-tokenizer splits every `\p{N}` character off first (Digits(individual_digits) then
    /// ByteLevel), so a run of spaces before a digit stays one piece: "  " is token 256, not 216 216.
    @Test(.needsRealModel) func digitsAreSplitOffBeforeTheByteLevelRegex() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        #expect(tokenizer.preTokenizer == .gpt2IsolatedDigits)
        #expect(tokenizer.encode("then  2  more") == [4888, 256, 34, 216, 540])
        let half = tokenizer.encode("a  ½")
        #expect(half.count == 3 && half[1] == 256, "\(half)")
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        let digitCase = try #require(fixture.cases.first { $0.text == "  123  4567\t89\n0" })
        #expect(tokenizer.encode(digitCase.text) == digitCase.ids)
        #expect(digitCase.ids.prefix(2) == [256, 33], "fixture: \(digitCase.ids)")
    }

    @Test(.needsRealModel) func decodesLikeThePublishedTokenizer() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        for testCase in fixture.decode_cases {
            #expect(tokenizer.decode(testCase.ids) == testCase.text, "ids \(testCase.ids)")
        }
    }

    @Test(.needsRealModel) func specialTokensAndFlags() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        #expect(tokenizer.vocabularySize == fixture.vocab_size)
        // SmolLM2's GGUF: BOS <|im_start|> (1), EOS <|im_end|> (2), add_bos_token false.
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2)
        #expect(tokenizer.addBOS == false && tokenizer.addEOS == false)
        #expect(tokenizer.encode("", addSpecialTokens: true) == [])
        // Control tokens stay whole with or without special tokens.
        #expect(tokenizer.encode("<|im_start|>", addSpecialTokens: false) == [1])
        #expect(tokenizer.decode([1, 2]) == "<|im_start|><|im_end|>")
    }

    @Test(.needsRealModel) func identityIsStable() throws {
        let path = try #require(TokenizerFixtures.modelPath())
        let first = try #require(try TokenizerFixtures.smolLM2())
        let again = try Tokenizer(gguf: GGUFFile(path: path))
        #expect(first.identity == again.identity)
        #expect(first.identity.hasPrefix("sha256:") && first.identity.count == 7 + 64)
    }

    /// Decoding inverts encoding, except for the bytes SmolLM2's vocabulary has no token for (six ASCII
    /// control characters among them), which transformers drops and so do we.
    @Test(.needsRealModel) func roundTripsFixtureTexts() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        let droppedBytes = (0..<256).filter { byte in
            tokenizer.encode(String(decoding: [UInt8(byte)], as: UTF8.self), addSpecialTokens: false).isEmpty
        }
        #expect(droppedBytes.contains(0x04) && !droppedBytes.contains(0x41))
        var checked = 0
        for testCase in fixture.cases where !testCase.text.utf8.contains(where: { droppedBytes.contains(Int($0)) }) {
            #expect(tokenizer.decode(tokenizer.encode(testCase.text)) == testCase.text)
            checked += 1
        }
        #expect(checked > 1900)
        #expect(tokenizer.decode(tokenizer.encode("a\u{04}b")) == "ab")
    }
}
