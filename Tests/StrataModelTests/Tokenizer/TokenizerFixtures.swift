import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// The committed tokenizer fixtures (made by Tests/StrataModelTests/Fixtures/tokenizer/gen_tokenizer_fixture.py and
/// Tests/StrataModelTests/Fixtures/tokenizer/gen_sentencepiece_fixture.py with Hugging Face `tokenizers`) and the real-model tokenizer shared by
/// the tests.
enum TokenizerFixtures {
    struct SmolLM2: Decodable {
        struct Case: Decodable {
            let source: String
            let text: String
            let ids: [Int32]
        }
        struct DecodeCase: Decodable {
            let ids: [Int32]
            let text: String
        }
        let reference: String
        let add_special_tokens: Bool
        let vocab_size: Int
        let cases: [Case]
        let decode_cases: [DecodeCase]
    }

    struct PreTokenizers: Decodable {
        /// llama.cpp's reading of a `tokenizer.ggml.pre` name (src/llama-vocab.cpp).
        struct LlamaCppName: Decodable {
            let type: String
            let ignore_merges: Bool
            let add_bos: Bool
        }
        let texts: [String]
        let pieces: [String: [[String]]]
        let llama_cpp: [String: LlamaCppName]
    }

    /// The path of a committed fixture file.
    static func path(_ name: String) throws -> String {
        let base = try #require(Bundle.module.resourceURL, "test bundle has no resource URL")
        return base.appendingPathComponent("Fixtures/tokenizer/\(name)").path
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// The SmolLM2 GGUF path, or nil when the model is absent (tests that need it carry `.needsRealModel`).
    static func modelPath() -> String? { ModelCache.existingPath(for: "smollm2") }

    /// The tokenizer built once from the real GGUF through the common entry point.
    private static let shared: Result<Tokenizer, Error>? = {
        guard let path = ModelCache.existingPath(for: "smollm2") else { return nil }
        return Result { try Tokenizer(gguf: GGUFFile(path: path)) }
    }()

    /// The real-model tokenizer, or nil when the model is absent (see `modelPath`).
    static func smolLM2() throws -> BPETokenizer? {
        guard modelPath() != nil else { return nil }
        guard case .bytePairEncoding(let tokenizer) = try #require(shared).get() else {
            Issue.record("SmolLM2's GGUF did not give a byte-level BPE tokenizer")
            return nil
        }
        return tokenizer
    }

    /// Encodes every text with and without special tokens against the expected ids; records the first few
    /// differences and returns how many encodings differ.
    static func countMismatches(
        _ tokenizer: any TokenizerModel, texts: [String], withSpecialTokens: [[Int32]], withoutSpecialTokens: [[Int32]],
        label: String
    ) -> Int {
        var failures = 0
        for (index, text) in texts.enumerated() {
            for (addSpecial, ids) in [(true, withSpecialTokens[index]), (false, withoutSpecialTokens[index])] {
                let actual = tokenizer.encode(text, addSpecialTokens: addSpecial)
                guard actual != ids else { continue }
                failures += 1
                if failures <= 3 {
                    Issue.record(
                        Comment(
                            rawValue: "\(label) addSpecialTokens=\(addSpecial) "
                                + mismatch(
                                    text: text, expected: ids, actual: actual, tokenizer: tokenizer)))
                }
            }
        }
        return failures
    }

    /// A message locating the first difference between two id lists, with the tokens around it.
    static func mismatch(text: String, expected: [Int32], actual: [Int32], tokenizer: any TokenizerModel) -> String {
        let position = (0..<min(expected.count, actual.count)).first { expected[$0] != actual[$0] } ?? min(expected.count, actual.count)
        func window(_ ids: [Int32]) -> String {
            let slice = ids[max(0, position - 3)..<min(ids.count, position + 4)]
            return slice.map { id in
                "\(id):\(String(decoding: tokenizer.bytes(ofToken: id) ?? [], as: UTF8.self).debugDescription)"
            }.joined(separator: " ")
        }
        return "text \(String(text.prefix(200)).debugDescription): first difference at token \(position) "
            + "(expected \(expected.count) ids, got \(actual.count)); expected [\(window(expected))] "
            + "got [\(window(actual))]"
    }
}
