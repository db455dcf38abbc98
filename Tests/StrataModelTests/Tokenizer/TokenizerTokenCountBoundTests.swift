import Foundation
import StrataTestSupport
import StrataUtilities
import Testing

@testable import StrataModel

/// `minimumTokenCount(utf8Count:)` must never exceed the real token count: capture skips a text as too
/// long without encoding it when the bound is over --max-tokens, so a bound too high would drop texts that
/// fit.
struct TokenizerTokenCountBoundTests {
    @Test func boundHoldsOnRandomTextsOfASyntheticVocabulary() throws {
        let vocabulary = TokenizerUnitTests.syntheticVocabulary(mergeCount: 400, seed: 5)
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        // The merged tokens are ASCII letters: their byte length is their character count.
        #expect(tokenizer.longestTokenBytes == vocabulary.tokens.map { $0.count }.max())
        var generator = SplitMix64(state: 9)
        for _ in 0..<300 {
            let length = Int.random(in: 0...200, using: &generator)
            let text = String((0..<length).map { _ in "abcd ".randomElement(using: &generator)! })
            let count = tokenizer.encode(text).count
            let bound = tokenizer.minimumTokenCount(utf8Count: text.utf8.count)
            #expect(count >= bound, "\(text.debugDescription): \(count) tokens, bound \(bound)")
        }
        #expect(tokenizer.minimumTokenCount(utf8Count: 0) == 0)
        #expect(tokenizer.minimumTokenCount(utf8Count: 1) == 1)
    }

    @Test func noBoundWhenAByteHasNoToken() throws {
        var tokens = (0..<256).map { String(Character(ByteLevelAlphabet.scalarForByte[$0])) }
        tokens.remove(at: 0x41) // "A" has no token: it is dropped from texts, which then have fewer tokens than bytes
        let tokenizer = try BPETokenizer(vocabulary: TokenizerVocabulary(tokens: tokens, merges: [], model: "gpt2", pre: "gpt2"))
        #expect(tokenizer.longestTokenBytes == nil)
        #expect(tokenizer.encode("AAAA").isEmpty)
        #expect(tokenizer.minimumTokenCount(utf8Count: 4) == 0)
    }

    /// Against the ids of SmolLM2's published tokenizer for 2,000+ texts (fixture), and runs of characters
    /// that SmolLM2 merges into its longest tokens.
    @Test(.needsRealModel) func boundHoldsForSmolLM2AgainstThePublishedIDs() throws {
        guard let tokenizer = try TokenizerFixtures.smolLM2() else { return }
        let fixture = try TokenizerFixtures.load("smollm2.json", as: TokenizerFixtures.SmolLM2.self)
        for testCase in fixture.cases {
            #expect(testCase.ids.count >= tokenizer.minimumTokenCount(utf8Count: testCase.text.utf8.count), "\(testCase.source)")
        }
        for unit in [" ", "=", "-", "\n", "0", "a", "é", "ab"] {
            let text = String(repeating: unit, count: 5000)
            #expect(tokenizer.encode(text).count >= tokenizer.minimumTokenCount(utf8Count: text.utf8.count), "\(unit.debugDescription)")
        }
    }
}
