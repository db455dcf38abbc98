import Foundation
import Testing

@testable import StrataModel

/// The llama-bpe and qwen2 families, BOS/EOS flags and user-defined tokens end to end: small GGUF files
/// (the first 2,000 SmolLM2 tokens, no tensors) and the ids of the published Llama 3 and Qwen2 tokenizers
/// over that vocabulary in Hugging Face `tokenizers` (fixture: Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py). Needs no
/// model download.
struct TokenizerMiniGGUFTests {
    struct Fixture: Decodable {
        struct File: Decodable {
            let add_special_tokens: [[Int32]]
            let no_special_tokens: [[Int32]]
        }
        let texts: [String]
        let files: [String: File]
    }

    @Test(arguments: [
        ("mini-llama-bpe.gguf", PreTokenizer.llama3, true, false),
        ("mini-qwen2.gguf", PreTokenizer.qwen2, false, true)
    ])
    func encodesLikeThePublishedTokenizer(name: String, family: PreTokenizer, addBOS: Bool, addEOS: Bool) throws {
        guard case .bytePairEncoding(let tokenizer) = try Tokenizer(gguf: GGUFFile(path: TokenizerFixtures.path(name)))
        else {
            Issue.record("\(name) did not give a byte-level BPE tokenizer")
            return
        }
        #expect(tokenizer.preTokenizer == family)
        #expect(tokenizer.ignoresMerges == (family == .llama3))
        #expect(tokenizer.addBOS == addBOS && tokenizer.addEOS == addEOS)
        let fixture = try TokenizerFixtures.load("mini.json", as: Fixture.self)
        let expected = try #require(fixture.files[name])
        let failures = TokenizerFixtures.countMismatches(
            tokenizer, texts: fixture.texts, withSpecialTokens: expected.add_special_tokens,
            withoutSpecialTokens: expected.no_special_tokens, label: name)
        #expect(failures == 0, "\(failures) encodings differ")
    }
}
