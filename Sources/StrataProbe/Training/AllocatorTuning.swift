#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for training.
///
/// Padded batches are tens to hundreds of MB; glibc serves blocks above its mmap threshold
/// (at most 32 MiB with the dynamic threshold) with a fresh `mmap` and returns them with
/// `munmap`, so every batch page-faults its whole size in again. Raising the threshold and the
/// trim threshold keeps freed batch memory in the heap for the next batch. Measured in
/// benchmarks/probes.md ("Epoch cache"): kernel time per run 2.5 s → 0.5 s, and a lower peak RSS.
public enum AllocatorTuning {
    /// Serves allocations up to `bytes` from the heap and keeps up to `bytes` of freed memory.
    /// Returns false where the allocator cannot be tuned (non-glibc systems).
    @discardableResult
    public static func keepLargeBlocksInHeap(upTo bytes: Int) -> Bool {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which the Glibc module does not export: look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (glibc <malloc.h>)
        let value = Int32(clamping: bytes)
        return mallopt(mmapThreshold, value) == 1 && mallopt(trimThreshold, value) == 1
        #else
        return false
        #endif
    }
}
