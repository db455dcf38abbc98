/// Element type of stored values.
public enum StrataDType: String, Codable, Sendable, CaseIterable {
    case f32, f16, bf16

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        }
    }

    /// The one-byte code used in block headers (spec/FORMAT.md §Block).
    var code: UInt8 {
        switch self {
        case .f32: return 0
        case .f16: return 1
        case .bf16: return 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .f32
        case 1: self = .f16
        case 2: self = .bf16
        default: return nil
        }
    }
}
