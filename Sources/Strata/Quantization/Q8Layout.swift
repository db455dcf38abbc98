/// Where each part of a q8 block's raw payload lies (spec/FORMAT.md §5.1). A q8 block of n vectors
/// (layer_count × token_count, layer-major) of `hidden` values, each with k outlier channels, is
/// four sections back to back:
///
///     scales    n × f32          absmax of the vector's non-outlier channels / 127
///     indices   n × k × u16      outlier channels of each vector, strictly ascending, < hidden
///     outliers  n × k × bf16     their values
///     codes     n × hidden × i8  round(value / scale) for every other channel (0 at outlier channels)
///
/// so raw_size = n × (hidden + 4 + 4k), and k follows from raw_size and the block's shape. With
/// shuffle = 1 each section is byte-shuffled by its own element width (4, 2, 2, 1).
public struct Q8Layout: Equatable, Sendable {
    /// Vectors in the block (layer_count × token_count).
    public let vectors: Int
    public let hidden: Int
    /// Outlier channels kept exactly per vector (the block's k).
    public let outliers: Int

    /// The most outlier channels a vector may keep.
    public static let maxOutliers = 64
    /// q8 stores channel indices as u16.
    public static let maxHidden = 1 << 16

    public init(vectors: Int, hidden: Int, outliers: Int) {
        self.vectors = vectors
        self.hidden = hidden
        self.outliers = outliers
    }

    /// The layout a raw size implies for `vectors` vectors of `hidden` values, or nil when no
    /// k in 0...min(maxOutliers, hidden) gives that size.
    public init?(rawSize: Int, vectors: Int, hidden: Int) {
        guard vectors > 0, hidden > 0, hidden <= Q8Layout.maxHidden, rawSize % vectors == 0 else { return nil }
        let perVector = rawSize / vectors
        let extra = perVector - hidden - 4
        guard extra >= 0, extra % 4 == 0, extra / 4 <= Q8Layout.outlierLimit(hidden: hidden) else { return nil }
        self.init(vectors: vectors, hidden: hidden, outliers: extra / 4)
    }

    /// The largest k a vector of `hidden` channels may have.
    public static func outlierLimit(hidden: Int) -> Int { min(maxOutliers, hidden) }

    /// Bytes of one vector's share of the block.
    public var bytesPerVector: Int { hidden + 4 + 4 * outliers }
    public var rawSize: Int { vectors * bytesPerVector }
    public var scalesOffset: Int { 0 }
    public var indicesOffset: Int { 4 * vectors }
    public var outlierValuesOffset: Int { indicesOffset + 2 * vectors * outliers }
    public var codesOffset: Int { outlierValuesOffset + 2 * vectors * outliers }

    /// The sections as (offset, element width, element count): what shuffle and zstd's plane flushes follow.
    var sections: [(offset: Int, width: Int, count: Int)] {
        [
            (scalesOffset, 4, vectors), (indicesOffset, 2, vectors * outliers),
            (outlierValuesOffset, 2, vectors * outliers), (codesOffset, 1, vectors * hidden)
        ]
    }

    /// Byte sizes of the planes of a shuffled payload, in order (empty planes left out).
    var planeSizes: [Int] {
        sections.flatMap { s in Array(repeating: s.count, count: s.width) }.filter { $0 > 0 }
    }
}
