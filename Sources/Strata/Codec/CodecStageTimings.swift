#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time of the calling thread in seconds (immune to other processes competing for the cores).
public func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU time of the whole process (all threads, user + system) in seconds.
public func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(
        usage.ru_stime.tv_usec) / 1e6
}

/// Measures each stage of the block codec separately on the given values (for `strata bench format
/// --stages`): where write and read time goes. Each result is (stage, bytes processed, thread CPU seconds).
public enum CodecStageTimings {
    public static func measure(values: [Float], dtype: StrataDType, level: Int, repeats: Int = 5) throws -> [(
        stage: String, bytes: Int, seconds: Double
    )] {
        guard !dtype.isLossy else {
            throw StrataError(.invalidArgument, "codec stage timings cover the lossless dtypes (f32, f16, bf16), not \(dtype.rawValue)")
        }
        let n = values.count
        let width = dtype.byteWidth
        let raw = n * width
        var results: [(String, Int, Double)] = []
        func time(_ name: String, bytes: Int, _ body: () throws -> Void) rethrows {
            var best = Double.infinity
            for _ in 0..<repeats {
                let t = threadCPUSeconds()
                try body()
                best = min(best, threadCPUSeconds() - t)
            }
            results.append((name, bytes, best))
        }
        let narrow = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: n)
        let planes = UnsafeMutableRawBufferPointer.allocate(byteCount: raw, alignment: 64)
        let compressed = UnsafeMutableRawBufferPointer.allocate(byteCount: ZstdCompressor.bound(raw), alignment: 64)
        let restored = UnsafeMutableRawBufferPointer.allocate(byteCount: raw, alignment: 64)
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        defer { narrow.deallocate(); planes.deallocate(); compressed.deallocate(); restored.deallocate(); output.deallocate() }
        let p = planes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        try values.withUnsafeBufferPointer { src in
            switch dtype {
            case .bf16:
                time("convert f32->bf16", bytes: raw) { StrataConvert.f32ToBF16(src, narrow) }
                time("shuffle (scatter 2 planes)", bytes: raw) {
                    ByteShuffle.scatter16(narrow.baseAddress!, count: n, planes: p, planeStride: n, at: 0)
                }
            case .f16:
                time("convert f32->f16", bytes: raw) { StrataConvert.f32ToF16(src, narrow) }
                time("shuffle (scatter 2 planes)", bytes: raw) {
                    ByteShuffle.scatter16(narrow.baseAddress!, count: n, planes: p, planeStride: n, at: 0)
                }
            case .f32:
                time("shuffle (scatter 4 planes)", bytes: raw) {
                    UnsafeRawPointer(src.baseAddress!).withMemoryRebound(to: UInt32.self, capacity: n) {
                        ByteShuffle.scatter32($0, count: n, planes: p, planeStride: n, at: 0)
                    }
                }
            case .q8: return
            }
            let compressor = try ZstdCompressor(level: level)
            var stored = 0
            try time("zstd compress level \(level)", bytes: raw) {
                stored = try compressor.compress(planes: UnsafeRawBufferPointer(planes), count: width, into: compressed)
            }
            let frame = UnsafeRawBufferPointer(start: compressed.baseAddress, count: stored)
            var sink: UInt32 = 0
            time("crc32c (of compressed)", bytes: stored) { sink ^= CRC32C.checksum(frame) }
            if sink == 0x1234_5678 { print("") } // keeps the checksum from being optimized away
            let d = try ZstdDecompressor()
            try time("zstd decompress", bytes: raw) { try d.decompress(frame, into: restored) }
            let r = UnsafePointer(restored.baseAddress!.assumingMemoryBound(to: UInt8.self))
            time("unshuffle + widen to f32", bytes: raw) {
                switch dtype {
                case .bf16: ByteShuffle.gatherBF16(planes: r, planeStride: n, at: 0, count: n, into: output.baseAddress!)
                case .f16: ByteShuffle.gatherF16(planes: r, planeStride: n, at: 0, count: n, into: output.baseAddress!)
                case .f32: ByteShuffle.gatherF32(planes: r, planeStride: n, at: 0, count: n, into: output.baseAddress!)
                case .q8: break
                }
            }
        }
        return results
    }
}
