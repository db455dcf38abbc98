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
}
