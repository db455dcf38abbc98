import Dispatch

/// Splits `0..<count` into at most `threads` contiguous chunks and runs `body(range)` on each concurrently.
///
/// Used for the element-wise and attention parts of the forward pass (the matrix products are threaded by
/// OpenBLAS itself). With `threads <= 1` or a single chunk everything runs on the calling thread.
@inline(__always)
func parallelChunks(_ count: Int, threads: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = max(1, min(threads, count / max(minimumChunk, 1)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = count * chunk / chunks
        let end = count * (chunk + 1) / chunks
        body(start..<end)
    }
}
