import Strata

/// Element type of imported activations as Strata stores them.
public enum HDF5ValueType: String, Sendable, Equatable {
    case f32, f16, bf16

    public var byteWidth: Int { self == .f32 ? 4 : 2 }

    /// The Strata dtype the values are stored as.
    public var strataDType: StrataDType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }

    /// The memory type HDF5 is asked to deliver (bf16 arrives as its uint16 bit patterns).
    var memoryType: HDF5ElementType {
        switch self {
        case .f32: return .float32
        case .f16: return .float16
        case .bf16: return .uint16
        }
    }
}
