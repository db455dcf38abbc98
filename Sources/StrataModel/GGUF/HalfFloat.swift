/// IEEE-754 half precision (binary16) ↔ single precision conversion, exact and portable
/// (Swift's `Float16` is unavailable on some platforms).
enum HalfFloat {
    /// Converts half-precision bits to a `Float` exactly (subnormals, infinities, NaN payloads kept).
    ///
    /// Branch-free so loops over it vectorise: the 15 magnitude bits are placed in a float's exponent
    /// and mantissa fields and rescaled by 2^112 (exact for normals and subnormals alike); infinities
    /// and NaNs get the float's all-ones exponent instead.
    @inline(__always)
    static func toFloat(_ h: UInt16) -> Float {
        let magnitude = UInt32(h & 0x7FFF) << 13
        let sign = UInt32(h & 0x8000) << 16
        let scaled = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
        let special = 0x7F80_0000 | (magnitude & 0x007F_E000)
        return Float(bitPattern: sign | ((h & 0x7C00) == 0x7C00 ? special : scaled))
    }

    /// Converts a `Float` to half-precision bits, rounding to nearest even (as numpy and ggml do).
    static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            // Infinity or NaN (keep NaN quiet and non-zero).
            return sign | 0x7C00 | (mantissa != 0 ? UInt16(0x200 | (mantissa >> 13)) : 0)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F {
            return sign | 0x7C00
        }
        if halfExponent <= 0 {
            // Subnormal half (or zero): shift the full significand into place, rounding to nearest even.
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            let halfway = UInt32(1) << (shift - 1)
            let remainder = significand & ((UInt32(1) << shift) - 1)
            var half = significand >> shift
            if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
