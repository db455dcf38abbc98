import Foundation
import FuzzSupport
import StrataModel

// Input: one selector byte, then text (arbitrary bytes, read as UTF-8 with invalid sequences
// replaced, as a String from outside would be). Selector bits 0–1 pick the tokenizer (in the order
// printed at start-up), bit 2 asks for special tokens. Besides crashes and hangs, two properties are
// checked: encoding is deterministic (the piece cache returns what merging computes), and without
// added BOS/EOS a tokenizer whose vocabulary has all 256 byte tokens decodes its ids back to the
// exact bytes of the text.

private struct LoadedTokenizer {
    var name: String
    var tokenizer: BPETokenizer
    var hasEveryByte: Bool
}

private let tokenizers: [LoadedTokenizer] = {
    var sources = [
        ("mini-llama-bpe", Repository.path("Tests/StrataModelTests/Fixtures/tokenizer/mini-llama-bpe.gguf")),
        ("mini-qwen2", Repository.path("Tests/StrataModelTests/Fixtures/tokenizer/mini-qwen2.gguf")),
    ]
    if let real = ModelCache.existingPath(for: "smollm2") { sources.append(("smollm2", real)) }
    var loaded: [LoadedTokenizer] = []
    for (name, path) in sources {
        do {
            let tokenizer = try BPETokenizer(gguf: GGUFFile(path: path))
            var singleBytes = Set<UInt8>()
            for id in 0..<tokenizer.vocabularySize {
                if let bytes = tokenizer.bytes(ofToken: Int32(id)), bytes.count == 1 { singleBytes.insert(bytes[0]) }
            }
            loaded.append(LoadedTokenizer(name: name, tokenizer: tokenizer, hasEveryByte: singleBytes.count == 256))
        } catch {
            fatalError("fuzz harness: cannot build the tokenizer \(name) from \(path): \(error)")
        }
    }
    let list = loaded.enumerated().map { "\($0.offset)=\($0.element.name)\($0.element.hasEveryByte ? "" : " (no round-trip check)")" }
    FileHandle.standardError.write(Data("FuzzTokenizer: tokenizers \(list.joined(separator: ", "))\n".utf8))
    return loaded
}()

@_cdecl("FuzzTokenizer_main")
func fuzzTokenizerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = tokenizers
    return runLibFuzzer(argc, argv, LLVMFuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInputBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let loaded = tokenizers[Int(selector & 3) % tokenizers.count]
    let addSpecialTokens = selector & 4 != 0
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)

    let ids = loaded.tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
    let again = loaded.tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
    guard ids == again else {
        fatalError("\(loaded.name): encoding the same text twice gave \(ids) then \(again)")
    }
    let decoded = loaded.tokenizer.decode(ids)
    if !addSpecialTokens, loaded.hasEveryByte, !decoded.utf8.elementsEqual(text.utf8) {
        fatalError("\(loaded.name): decode(encode(text)) differs from the text: \(Array(text.utf8)) -> \(ids) -> \(Array(decoded.utf8))")
    }
    return 0
}
