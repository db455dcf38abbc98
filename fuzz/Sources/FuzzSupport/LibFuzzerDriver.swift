import CLibFuzzer

/// The function libFuzzer calls with each input (`LLVMFuzzerTestOneInput`). Return 0; a thrown Swift
/// error is an ordinary answer to bad input, only a crash, a hang or running out of memory is a finding.
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer's driver with `testOneInput`. Each fuzz target calls this from `<Module>_main`:
/// SwiftPM links every executable with `--defsym main=<Module>_main` (so that executables can be
/// tested), and under `-parse-as-library` nothing else defines that symbol — libFuzzer's own `main`
/// is never linked, so the target supplies the entry and hands over to `LLVMFuzzerRunDriver`.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ testOneInput: FuzzTestOneInput
) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, testOneInput)
}

/// The input as an array (an empty input may come with a null pointer).
public func fuzzInputBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}
