/// Values handed to the writer: L × T × H layer-major, in one of the three input types.
public enum HiddenStatesBuffer {
    case f32(UnsafeBufferPointer<Float>)
    /// IEEE binary16 bit patterns.
    case f16(UnsafeBufferPointer<UInt16>)
    /// bfloat16 bit patterns.
    case bf16(UnsafeBufferPointer<UInt16>)

    var count: Int {
        switch self {
        case .f32(let b): return b.count
        case .f16(let b), .bf16(let b): return b.count
        }
    }

    /// Copies `count` values from element `from` as f32 (f16 and bf16 widened exactly).
    func copyFloats(from: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        let out = UnsafeMutableBufferPointer(start: destination, count: count)
        switch self {
        case .f32(let b): destination.update(from: b.baseAddress! + from, count: count)
        case .f16(let b): StrataConvert.f16ToF32(UnsafeBufferPointer(start: b.baseAddress! + from, count: count), out)
        case .bf16(let b): StrataConvert.bf16ToF32(UnsafeBufferPointer(start: b.baseAddress! + from, count: count), out)
        }
    }
}
