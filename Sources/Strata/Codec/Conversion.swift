import CStrataKernels
import StrataUtilities

/// Scalar and bulk conversions between f32, IEEE f16 and bfloat16 bit patterns.
/// Narrowing conversions round to nearest, ties to even; NaN stays NaN (quiet), ±Inf stays ±Inf,
/// values beyond the target's range become ±Inf. Widening conversions are exact.
/// The loops are branch-free so the optimizer can vectorize them.
public enum StrataConvert {
    // The scalar conversions are `StrataUtilities.HalfFloat`'s, the package's one half-float codec.

    /// bfloat16 bits -> f32 (exact).
    @inline(__always) public static func bf16ToF32(_ h: UInt16) -> Float { HalfFloat.bf16ToF32(h) }

    /// f32 -> bfloat16 bits, round to nearest even; NaN is quieted.
    @inline(__always) public static func f32ToBF16(_ f: Float) -> UInt16 { HalfFloat.f32ToBF16(f) }

    /// IEEE binary16 bits -> f32 (exact, including subnormals, Inf and NaN payloads).
    @inline(__always) public static func f16ToF32(_ h: UInt16) -> Float { HalfFloat.f16ToF32(h) }

    /// f32 -> IEEE binary16 bits, round to nearest even; overflow -> ±Inf, NaN -> quiet NaN.
    @inline(__always) public static func f32ToF16(_ f: Float) -> UInt16 { HalfFloat.f32ToF16(f) }

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
