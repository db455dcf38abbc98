import FuzzSupport
import StrataModel

// Input: a GGUF file, parsed in memory (GGUFFile(bytes:), the same parser as a mapped file), then
// everything `strata gguf-info`, model loading and tokenizer construction read from it.

/// Most elements dequantised per tensor (a tiny file may declare a tensor larger than any harness
/// should allocate; its bytes are bounded by the file, its elements by up to 8× that).
private let elementBudget = 1 << 22
private let sampleText = "Hello, world! It's 2026: naïve café — 你好 <|im_start|>user\n  tabs\tand 123456"

@_cdecl("FuzzGGUF_main")
func fuzzGGUFMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, LLVMFuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let file = try? GGUFFile(bytes: fuzzInputBytes(data, size), name: "fuzz.gguf") else { return 0 }
    for key in file.metadataKeys { _ = file.metadata[key]?.summary() }
    for tensor in file.tensors.prefix(64) {
        _ = file.rawBytes(of: tensor)
        let elements = tensor.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        if elements >= 0, elements <= elementBudget { _ = try? file.dequantize(tensor) }
    }
    _ = try? LlamaConfig(gguf: file)
    if let tokenizer = try? Tokenizer(gguf: file) {
        _ = tokenizer.decode(tokenizer.encode(sampleText))
    }
    return 0
}
