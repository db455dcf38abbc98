import Foundation
import Testing
@testable import StrataModel
import StrataTestSupport

/// The tokenizer built from the real SmolLM2 GGUF against Hugging Face transformers loading the same file
/// (fixture: tools/gen_tokenizer_fixture.py). Skipped when the model is absent, unless CI=true.
struct TokenizerSmolLM2Tests {
    @Test(.needsRealModel) func encodesEveryFixtureTextLikeTransformers() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        #expect(fixture.cases.count >= 2000)
        var failures = 0
        for testCase in fixture.cases {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: fixture.add_special_tokens)
            if ids != testCase.ids {
                failures += 1
                if failures <= 3 {
                    Issue.record(Comment(rawValue: "[\(testCase.source)] " + TokenizerFixtures.mismatch(
                        text: testCase.text, expected: testCase.ids, actual: ids, tokenizer: tokenizer)))
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(fixture.cases.count) texts differ")
    }

    @Test(.needsRealModel) func llamaCppReadingSplitsDigitsFirst() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2(.llamaCpp))
        #expect(tokenizer.preTokenizer == .gpt2IsolatedDigits)
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        #expect(fixture.cases.contains { $0.ids_llamacpp != nil }, "fixture has no case where the readings differ")
        var failures = 0
        for testCase in fixture.cases {
            let expected = testCase.ids_llamacpp ?? testCase.ids
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: fixture.add_special_tokens)
            if ids != expected {
                failures += 1
                if failures <= 3 {
                    Issue.record(Comment(rawValue: TokenizerFixtures.mismatch(
                        text: testCase.text, expected: expected, actual: ids, tokenizer: tokenizer)))
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(fixture.cases.count) texts differ")
    }

    @Test(.needsRealModel) func decodesLikeTransformers() throws {
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

    @Test(.needsRealModel) func identityIsStableAndSeparatesReadings() throws {
        let path = try #require(TokenizerFixtures.modelPath())
        let first = try #require(try TokenizerFixtures.smolLM2())
        let again = try BPETokenizer(gguf: GGUFFile(path: path))
        let llamaCpp = try #require(try TokenizerFixtures.smolLM2(.llamaCpp))
        #expect(first.identity == again.identity)
        #expect(first.identity.hasPrefix("sha256:") && first.identity.count == 7 + 64)
        #expect(first.identity != llamaCpp.identity)
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
