import Dispatch
import Foundation

/// Lines for standard output, written in blocks for speed but never held back for long: the buffer is
/// written once it holds 64 KiB or when `maxDelay` has passed since the last write, and by `flush()`.
/// Callers flush on every exit path (`defer`), so a command that fails part-way has still printed
/// everything it produced before the failure.
struct BufferedLineOutput {
    static let blockBytes = 1 << 16
    var maxDelay: DispatchTimeInterval = .milliseconds(200)
    private var buffer = ""
    private var lastWrite = DispatchTime.now()

    mutating func append(line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count >= Self.blockBytes || DispatchTime.now() >= lastWrite + maxDelay { flush() }
    }

    mutating func flush() {
        if !buffer.isEmpty {
            FileHandle.standardOutput.write(Data(buffer.utf8))
            buffer = ""
        }
        lastWrite = DispatchTime.now()
    }
}
