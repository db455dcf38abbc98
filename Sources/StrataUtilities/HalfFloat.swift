/// Scalar conversions between `Float` and the bit patterns of IEEE binary16 ("f16") and bfloat16,
/// written out because Swift's `Float16` is unavailable on some platforms. The one codec in the
/// package: the format's block codec (`StrataConvert`, which adds bulk and F16C paths) and the GGUF
/// reader and writer both use it.
///
/// Narrowing conversions round to nearest, ties to even; NaN stays NaN (quiet), ±Inf stays ±Inf, values
/// beyond the target's range become ±Inf. Widening conversions are exact. Branch-free, so loops over them
/// vectorize.
package enum HalfFloat {
    /// bfloat16 bits → `Float` (exact).
    @inlinable @inline(__always)
    package static func bf16ToF32(_ h: UInt16) -> Float {
        Float(bitPattern: UInt32(h) << 16)
    }

    /// `Float` → bfloat16 bits, round to nearest even; NaN is quieted (sign and top payload bits kept).
    @inlinable @inline(__always)
    package static func f32ToBF16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
        let nan = UInt16(truncatingIfNeeded: u >> 16) | 0x0040
        return (u & 0x7FFF_FFFF) > 0x7F80_0000 ? nan : rounded
    }

    /// IEEE binary16 bits → `Float` (exact, including subnormals, infinities and NaN payloads).
    @inlinable @inline(__always)
    package static func f16ToF32(_ h: UInt16) -> Float {
        let h32 = UInt32(h)
        let sign = (h32 & 0x8000) << 16
        let magnitude = h32 & 0x7FFF
        var bits = (magnitude << 13) &+ 0x3800_0000 // rebias exponent 15 -> 127
        bits = magnitude >= 0x7C00 ? bits &+ 0x3800_0000 : bits // Inf/NaN: exponent 31 -> 255
        let subnormal = (Float(Int32(bitPattern: magnitude)) * 5.960_464_5e-8).bitPattern // m × 2^-24
        bits = magnitude < 0x0400 ? subnormal : bits
        return Float(bitPattern: bits | sign)
    }

    /// `Float` → IEEE binary16 bits, round to nearest even; overflow → ±Inf, NaN → the quiet NaN 0x7E00
    /// with the input's sign.
    @inlinable @inline(__always)
    package static func f32ToF16(_ f: Float) -> UInt16 {
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
}
