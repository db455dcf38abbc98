import Foundation

/// Reference bfloat16 rounding computed independently in Double: the nearest representable bf16, ties to
/// the even mantissa.
public func referenceBF16(_ f: Float) -> UInt16 {
    if f.isNaN { return 0x7FC0 }
    let bits = f.bitPattern
    let down = UInt16(bits >> 16) // truncation toward zero in magnitude
    let up = down &+ 1
    let vDown = Double(Float(bitPattern: UInt32(down) << 16))
    let vUp = Double(Float(bitPattern: UInt32(up) << 16)) // may be Inf: then Double compare still right
    let x = Double(f)
    if (bits & 0xFFFF) == 0 { return down }
    let dDown = abs(x - vDown),
        dUp = vUp.isInfinite ? abs(x - (vDown + (vDown - Double(Float(bitPattern: UInt32(down &- 1) << 16))))) : abs(x - vUp)
    if dDown < dUp { return down }
    if dUp < dDown { return up }
    return (down & 1) == 0 ? down : up
}
