import CStrataKernels

/// Byte shuffle by element width: a block of n elements of width w is stored as w planes of n bytes,
/// plane k holding byte k (little-endian order) of every element. The kernels fuse the shuffle with
/// the dtype conversion so each value is touched once; the loops themselves are C (CStrataKernels), so
/// release builds keep Swift's checks everywhere else at no cost here.
enum ByteShuffle {
    /// True when the CPU has F16C (hardware half <-> float conversion).
    static let hasF16C = strata_f16c_available() != 0

    // MARK: Encoding (writer): stored-dtype values -> planes

    /// Scatters `count` 16-bit values into the two planes of a block of `planeStride` elements,
    /// starting at element `at`.
    @inline(__always)
    static func scatter16(_ src: UnsafePointer<UInt16>, count: Int, planes: UnsafeMutablePointer<UInt8>, planeStride: Int, at: Int) {
        strata_scatter16(src, count, planes + at, planes + planeStride + at)
    }

    /// Scatters `count` 32-bit values into four planes.
    @inline(__always)
    static func scatter32(_ src: UnsafePointer<UInt32>, count: Int, planes: UnsafeMutablePointer<UInt8>, planeStride: Int, at: Int) {
        let p0 = planes + at, p1 = p0 + planeStride, p2 = p1 + planeStride, p3 = p2 + planeStride
        strata_scatter32(src, count, p0, p1, p2, p3)
    }

    // MARK: Decoding (reader): planes -> f32

    /// Gathers elements [at, at+count) of a shuffled bf16 block and widens them to f32.
    static func gatherBF16(planes: UnsafePointer<UInt8>, planeStride: Int, at: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        strata_gather_bf16(planes + at, planes + planeStride + at, count, dst)
    }

    /// Gathers elements of a shuffled f16 block and widens them to f32 (F16C instructions when present).
    static func gatherF16(planes: UnsafePointer<UInt8>, planeStride: Int, at: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let p0 = planes + at, p1 = planes + planeStride + at
        if hasF16C {
            strata_gather_f16_f16c(p0, p1, count, dst)
            return
        }
        for i in 0..<count {
            dst[i] = StrataConvert.f16ToF32(UInt16(p0[i]) | UInt16(p1[i]) << 8)
        }
    }

    /// Gathers elements of a shuffled f32 block.
    static func gatherF32(planes: UnsafePointer<UInt8>, planeStride: Int, at: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let p0 = planes + at, p1 = p0 + planeStride, p2 = p1 + planeStride, p3 = p2 + planeStride
        strata_gather_f32(p0, p1, p2, p3, count, dst)
    }

    // MARK: Decoding (reader): planes -> stored-dtype values

    /// Gathers elements [at, at+count) of a shuffled block of `width`-byte elements back into
    /// element-contiguous little-endian values at `dst` (the stored bit patterns, unconverted).
    static func unshuffle(
        planes: UnsafePointer<UInt8>, planeStride: Int, at: Int, count: Int, width: Int,
        into dst: UnsafeMutableRawPointer
    ) {
        switch width {
        case 2:
            let p0 = planes + at, p1 = p0 + planeStride
            let d = dst.bindMemory(to: UInt16.self, capacity: count)
            for i in 0..<count { d[i] = UInt16(p0[i]) | UInt16(p1[i]) << 8 }
        case 4:
            let p0 = planes + at, p1 = p0 + planeStride, p2 = p1 + planeStride, p3 = p2 + planeStride
            let d = dst.bindMemory(to: UInt32.self, capacity: count)
            for i in 0..<count {
                d[i] = UInt32(p0[i]) | UInt32(p1[i]) << 8 | UInt32(p2[i]) << 16 | UInt32(p3[i]) << 24
            }
        default:
            let d = dst.bindMemory(to: UInt8.self, capacity: count * width)
            for i in 0..<count {
                for k in 0..<width { d[i * width + k] = planes[k * planeStride + at + i] }
            }
        }
    }

    /// Converts an unshuffled (element-contiguous, little-endian) payload into planes.
    static func shuffle(_ src: UnsafePointer<UInt8>, elements n: Int, width w: Int, into dst: UnsafeMutablePointer<UInt8>) {
        for i in 0..<n {
            for k in 0..<w { dst[k * n + i] = src[i * w + k] }
        }
    }
}
