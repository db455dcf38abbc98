import Foundation
import Testing
@testable import StrataModel

/// The hand-written pre-tokenizer scanners against Hugging Face `tokenizers` pre-tokenizers (fixture:
/// tools/gen_tokenizer_fixture.py): hand-written cases, real reviews and random Unicode strings.
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
                    let position = (0..<min(actual.count, pieces.count)).first { actual[$0] != pieces[$0] } ?? min(actual.count, pieces.count)
                    Issue.record(Comment(rawValue:
                        "\(family) \(text.debugDescription): first difference at piece \(position): expected "
                        + "\(Array(pieces[position...].prefix(3))) got \(Array(actual[position...].prefix(3)))"))
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(fixture.texts.count) texts split differently")
    }

    @Test func ggufNamesMapToFamilies() {
        #expect(PreTokenizer.family(forGGUFName: "smollm", reference: .transformersGGUF) == .gpt2)
        #expect(PreTokenizer.family(forGGUFName: "smollm", reference: .llamaCpp) == .gpt2IsolatedDigits)
        #expect(PreTokenizer.family(forGGUFName: "llama-bpe", reference: .transformersGGUF) == .llama3)
        #expect(PreTokenizer.family(forGGUFName: "qwen2", reference: .llamaCpp) == .qwen2)
        #expect(PreTokenizer.family(forGGUFName: "gpt2", reference: .transformersGGUF) == .gpt2)
        #expect(PreTokenizer.family(forGGUFName: "deepseek-llm", reference: .transformersGGUF) == nil)
    }

    @Test func piecesCoverTheTextExactly() {
        let text = "It's  123 \r\n\t😀👍🏽 ab'LL x  "
        for family in PreTokenizer.allCases {
            #expect(family.split(text).joined() == text, "\(family)")
        }
    }
}
