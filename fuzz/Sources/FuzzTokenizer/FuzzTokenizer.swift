import Foundation
import FuzzSupport
import StrataModel

// Input: one selector byte, then text (arbitrary bytes, read as UTF-8 with invalid sequences
// replaced, as a String from outside would be). Selector bits 0–2 pick the tokenizer (modulo their
// number, in the order printed at start-up), bit 3 asks for special tokens. Besides crashes and hangs,
// two properties are checked: encoding is deterministic (the piece cache returns what merging
// computes), and for byte-level BPE without added BOS/EOS, decode(encode(text)) is the text byte for
// byte — except for bytes the vocabulary has no byte token for, which encoding drops (as Hugging Face
// does; SmolLM2 lacks 21 of the 256, e.g. 0x04 and the 4-byte UTF-8 lead bytes 0xF1, 0xF2), so the
// reference is the text without them. (SentencePiece normalises spaces and adds a prefix space, so
// its decode is not the identity; it is checked for crashes, hangs and determinism.)

private struct LoadedTokenizer {
    var name: String
    var kindName: String
    var isByteLevelBPE: Bool
    /// The implementation itself rather than the `Tokenizer` enum: the enum keeps its case in spare
    /// bits of the reference, which LeakSanitizer does not recognise as a pointer (a false leak report).
    var tokenizer: any TokenizerModel
    /// Bytes with a token of their own; byte-level BPE encoding drops the others.
    var byteHasToken: [Bool]

    /// What decode(encode(text)) must give: the text's bytes without those encoding drops.
    func roundTrip(of text: String) -> [UInt8] {
        Array(String(decoding: text.utf8.filter { byteHasToken[Int($0)] }, as: UTF8.self).utf8)
    }
}

private let tokenizers: [LoadedTokenizer] = {
    var sources = ["mini-llama-bpe", "mini-qwen2", "spm-llama", "spm-gemma"].map {
        ($0, Repository.path("Tests/StrataModelTests/Fixtures/tokenizer/\($0).gguf"))
    }
    if let real = ModelCache.existingPath(for: "smollm2") { sources.append(("smollm2", real)) }
    var loaded: [LoadedTokenizer] = []
    for (name, path) in sources {
        do {
            let wrapped = try Tokenizer(gguf: GGUFFile(path: path))
            let tokenizer = wrapped.implementation
            var isByteLevelBPE = false
            if case .bytePairEncoding = wrapped { isByteLevelBPE = true }
            var byteHasToken = [Bool](repeating: false, count: 256)
            for id in 0..<tokenizer.vocabularySize {
                if let bytes = tokenizer.bytes(ofToken: Int32(id)), bytes.count == 1 { byteHasToken[Int(bytes[0])] = true }
            }
            loaded.append(
                LoadedTokenizer(
                    name: name, kindName: wrapped.kindName, isByteLevelBPE: isByteLevelBPE,
                    tokenizer: tokenizer, byteHasToken: byteHasToken))
        } catch {
            fatalError("fuzz harness: cannot build the tokenizer \(name) from \(path): \(error)")
        }
    }
    let list = loaded.enumerated().map {
        "\($0.offset)=\($0.element.name) (\($0.element.kindName), \($0.element.byteHasToken.filter { !$0 }.count) bytes without a token)"
    }
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
    let loaded = tokenizers[Int(selector & 7) % tokenizers.count]
    let addSpecialTokens = selector & 8 != 0
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)

    let ids = loaded.tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
    let again = loaded.tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
    guard ids == again else {
        fatalError("\(loaded.name): encoding the same text twice gave \(ids) then \(again)")
    }
    let decoded = loaded.tokenizer.decode(ids)
    if loaded.isByteLevelBPE, !addSpecialTokens, !decoded.utf8.elementsEqual(loaded.roundTrip(of: text)) {
        fatalError("\(loaded.name): decode(encode(text)) is not the text: \(Array(text.utf8)) -> \(ids) -> \(Array(decoded.utf8))")
    }
    return 0
}
