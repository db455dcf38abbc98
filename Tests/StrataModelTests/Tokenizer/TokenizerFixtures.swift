import Foundation
import Testing
@testable import StrataModel
import StrataTestSupport

/// The committed tokenizer fixtures (made by tools/gen_tokenizer_fixture.py from Hugging Face
/// transformers/tokenizers) and the real-model tokenizer shared by the tests.
enum TokenizerFixtures {
    struct SmolLM2: Decodable {
        struct Case: Decodable {
            let source: String
            let text: String
            let ids: [Int32]
            /// Ids under llama.cpp's reading of pre='smollm', present only where they differ from `ids`.
            let ids_llamacpp: [Int32]?
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
        let texts: [String]
        let pieces: [String: [[String]]]
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let base = try #require(Bundle.module.resourceURL, "test bundle has no resource URL")
        let url = base.appendingPathComponent("Fixtures/tokenizer/\(name)")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    /// The SmolLM2 GGUF path, or nil when the model is absent (tests that need it carry `.needsRealModel`).
    static func modelPath() -> String? { ModelCache.existingPath(for: "smollm2") }

    /// Tokenizers built once from the real GGUF, per reference.
    private static let shared: [PreTokenizer.Reference: Result<BPETokenizer, Error>] = {
        guard let path = ModelCache.existingPath(for: "smollm2") else { return [:] }
        var result: [PreTokenizer.Reference: Result<BPETokenizer, Error>] = [:]
        do {
            let file = try GGUFFile(path: path)
            for reference in [PreTokenizer.Reference.transformersGGUF, .llamaCpp] {
                result[reference] = Result { try BPETokenizer(gguf: file, reference: reference) }
            }
        } catch {
            result[.transformersGGUF] = .failure(error)
            result[.llamaCpp] = .failure(error)
        }
        return result
    }()

    /// The real-model tokenizer, or nil when the model is absent (see `modelPath`).
    static func smolLM2(_ reference: PreTokenizer.Reference = .transformersGGUF) throws -> BPETokenizer? {
        guard modelPath() != nil else { return nil }
        return try #require(shared[reference]).get()
    }

    /// A message locating the first difference between two id lists, with the tokens around it.
    static func mismatch(text: String, expected: [Int32], actual: [Int32], tokenizer: BPETokenizer) -> String {
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
