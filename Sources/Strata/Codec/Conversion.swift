import CStrataKernels

/// Scalar and bulk conversions between f32, IEEE f16 and bfloat16 bit patterns.
/// Narrowing conversions round to nearest, ties to even; NaN stays NaN (quiet), ±Inf stays ±Inf,
/// values beyond the target's range become ±Inf. Widening conversions are exact.
/// The loops are branch-free so the optimizer can vectorize them.
public enum StrataConvert {
    /// bfloat16 bits -> f32 (exact).
    @inline(__always) public static func bf16ToF32(_ h: UInt16) -> Float {
        Float(bitPattern: UInt32(h) << 16)
    }

    /// f32 -> bfloat16 bits, round to nearest even; NaN is quieted.
    @inline(__always) public static func f32ToBF16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
        let nan = UInt16(truncatingIfNeeded: u >> 16) | 0x0040
        return (u & 0x7FFF_FFFF) > 0x7F80_0000 ? nan : rounded
    }

    /// IEEE binary16 bits -> f32 (exact, including subnormals, Inf and NaN payloads).
    @inline(__always) public static func f16ToF32(_ h: UInt16) -> Float {
        let h32 = UInt32(h)
        let sign = (h32 & 0x8000) << 16
        let magnitude = h32 & 0x7FFF
        var bits = (magnitude << 13) &+ 0x3800_0000           // rebias exponent 15 -> 127
        bits = magnitude >= 0x7C00 ? bits &+ 0x3800_0000 : bits  // Inf/NaN: exponent 31 -> 255
        let subnormal = (Float(Int32(bitPattern: magnitude)) * 5.960_464_5e-8).bitPattern  // m × 2^-24
        bits = magnitude < 0x0400 ? subnormal : bits
        return Float(bitPattern: bits | sign)
    }

    /// f32 -> IEEE binary16 bits, round to nearest even; overflow -> ±Inf, NaN -> quiet NaN.
    @inline(__always) public static func f32ToF16(_ f: Float) -> UInt16 {
        let all = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: (all & 0x8000_0000) >> 16)
        let u = all & 0x7FFF_FFFF
        // Overflow / Inf / NaN.
        let special: UInt32 = u > 0x7F80_0000 ? 0x7E00 : 0x7C00
        // Subnormal results (|f| < 2^-14): add a magic number so the FPU rounds at the right bit.
        let denormMagic: UInt32 = ((127 - 15) + (23 - 10) + 1) << 23
        let sub = (Float(bitPattern: u) + Float(bitPattern: denormMagic)).bitPattern &- denormMagic
        // Normal results: rebias and round to nearest even on bit 13.
        let mantOdd = (u >> 13) & 1
        let normal = (u &+ (UInt32(bitPattern: (15 - 127) << 23) &+ 0xFFF) &+ mantOdd) >> 13
        var out = u < (113 << 23) ? sub : normal
        out = u >= ((127 + 16) << 23) ? special : out
        return UInt16(truncatingIfNeeded: out) | sign
    }

    /// Bulk bfloat16 -> f32; `source.count` must equal `destination.count`.
    public static func bf16ToF32(_ source: UnsafeBufferPointer<UInt16>, _ destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count == destination.count, "bf16ToF32: count mismatch")
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = bf16ToF32(s[i]) }
    }

    /// Bulk f16 -> f32.
    public static func f16ToF32(_ source: UnsafeBufferPointer<UInt16>, _ destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count == destination.count, "f16ToF32: count mismatch")
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = f16ToF32(s[i]) }
    }

    /// Bulk f32 -> bfloat16 (round to nearest even).
    public static func f32ToBF16(_ source: UnsafeBufferPointer<Float>, _ destination: UnsafeMutableBufferPointer<UInt16>) {
        precondition(source.count == destination.count, "f32ToBF16: count mismatch")
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = f32ToBF16(s[i]) }
    }

    /// Bulk f32 -> f16 (round to nearest even; F16C instructions when present).
    public static func f32ToF16(_ source: UnsafeBufferPointer<Float>, _ destination: UnsafeMutableBufferPointer<UInt16>) {
        precondition(source.count == destination.count, "f32ToF16: count mismatch")
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        if ByteShuffle.hasF16C {
            strata_f32_to_f16_f16c(s, source.count, d)
            return
        }
        for i in 0..<source.count { d[i] = f32ToF16(s[i]) }
    }
}
