/// Element type of stored values. The per-dtype facts (block code, width, how a block's raw size
/// follows from its shape, which format minor version introduced it) are data in this one table.
public enum StrataDType: String, Codable, Sendable, CaseIterable {
    case f32, f16, bf16
    /// Lossy: int8 codes with one absmax scale per (layer, token) vector and k outlier channels kept
    /// exactly as bf16 (spec/FORMAT.md §5.1). Readers return f32 reconstructions.
    case q8

    /// Bytes per element of the fixed-width dtypes. For q8 it is the planning width: block sizes
    /// are targeted and per-record limits counted as if q8 took 2 bytes per value (a q8 vector is
    /// hidden + 4 + 4k bytes, at most about that); its actual block sizes follow `Q8Layout`.
    public var byteWidth: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16, .q8: return 2
        }
    }

    /// The dtypes that store values exactly (every dtype but q8).
    public static let lossless: [StrataDType] = allCases.filter { !$0.isLossy }

    /// True when values are stored approximately (readers return a reconstruction).
    public var isLossy: Bool { self == .q8 }

    /// The format minor version that introduced the dtype (spec/FORMAT.md §12): a shard holding it
    /// says at least this version, and a reader of an older minor version refuses it.
    public var formatMinorVersion: UInt16 { self == .q8 ? 1 : 0 }

    /// The one-byte code used in block headers (spec/FORMAT.md §Block).
    var code: UInt8 {
        switch self {
        case .f32: return 0
        case .f16: return 1
        case .bf16: return 2
        case .q8: return 3
        }
    }

    init?(code: UInt8) {
        guard let match = StrataDType.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    /// Why `rawSize` cannot be the raw size of a block of `vectors` (layers × tokens) vectors of
    /// `hidden` values in this dtype, or nil when it can: exactly vectors × hidden × width for the
    /// fixed-width dtypes, vectors × (hidden + 4 + 4k) for some allowed k for q8.
    func rawSizeProblem(_ rawSize: Int, vectors: Int, hidden: Int) -> String? {
        if self == .q8 {
            if Q8Layout(rawSize: rawSize, vectors: vectors, hidden: hidden) != nil { return nil }
            return
                "q8 raw size \(rawSize) is not \(vectors) vectors × (hidden \(hidden) + 4 + 4k) for an outlier count k in 0...\(Q8Layout.outlierLimit(hidden: hidden))"
        }
        let (elements, overflow1) = vectors.multipliedReportingOverflow(by: hidden)
        let (bytes, overflow2) = elements.multipliedReportingOverflow(by: byteWidth)
        if !overflow1, !overflow2, bytes == rawSize { return nil }
        return "raw size \(rawSize) does not equal layers × tokens × hidden × width"
    }
}
