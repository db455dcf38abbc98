#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide allocator settings for training (glibc malloc; no-ops elsewhere).
public enum AllocatorTuning {
    /// Serves allocations up to `bytes` from the heap and keeps up to `bytes` of freed memory.
    ///
    /// Padded batches are tens to hundreds of MB; glibc serves blocks above its mmap threshold
    /// (at most 32 MiB with the dynamic threshold) with a fresh `mmap` and returns them with
    /// `munmap`, so every batch page-faults its whole size in again. Raising the threshold and the
    /// trim threshold keeps freed batch memory in the heap for the next batch. Measured in
    /// benchmarks/probes.md ("Epoch cache"): kernel time per run 2.5 s → 0.5 s, and a lower peak RSS.
    /// Returns false where the allocator cannot be tuned.
    @discardableResult
    public static func keepLargeBlocksInHeap(upTo bytes: Int) -> Bool {
        let value = Int32(clamping: bytes)
        return mallopt(option: -3, value) && mallopt(option: -1, value) // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    }

    /// Makes every thread allocate from one arena (M_ARENA_MAX = 1).
    ///
    /// By default glibc gives each allocating thread its own arena (up to 8 per core), and freed
    /// memory stays in the arena that served it: decoded records in the stream's prefetch thread's
    /// arena, chunks in the main thread's, validation chunks in another prefetch thread's. With the
    /// large-block tuning above each arena keeps its own peak, so the process held the sum of the
    /// arenas' peaks rather than the peak of their sum (gate, 2 epochs with `--val`, `--memory-budget
    /// 64MB`: 116 → 92 MiB; 2GB: 649 → 526 MiB; benchmarks/probes.md). Training allocates few, large
    /// blocks, so one arena costs no measurable lock contention. Call it before starting threads.
    @discardableResult
    public static func shareOneArena() -> Bool {
        mallopt(option: -8, 1) // M_ARENA_MAX
    }

    /// Returns the allocator's free memory to the system (glibc `malloc_trim(0)`: the free top of
    /// each arena and every free page inside it). Training calls it between phases — after an epoch's
    /// training pass, after validation, after the feature pass — whose blocks differ in size, so that
    /// one phase does not grow the heap around holes the previous one left (with
    /// `keepLargeBlocksInHeap` the heap otherwise keeps them): peak RSS for pooling with `--val`,
    /// `--memory-budget 256MB`: 284 → 181 MiB; gate, 2 epochs: 281 → 220 MiB; no measurable CPU cost
    /// (benchmarks/probes.md). Harmless anywhere; no-op where unavailable.
    public static func releaseFreeMemory() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// glibc's `mallopt(option, value)`; `option` is a constant from <malloc.h>, which the Glibc module
    /// does not export, so the function is looked up by name.
    private static func mallopt(option: Int32, _ value: Int32) -> Bool {
        #if canImport(Glibc)
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            return unsafeBitCast(symbol, to: Mallopt.self)(option, value) == 1
        #else
            return false
        #endif
    }
}
