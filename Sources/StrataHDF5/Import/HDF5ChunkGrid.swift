import Strata

/// The chunk grid of an activation dataset whose chunks can be stored as Strata blocks without
/// re-encoding (spec/HDF5.md §5.1): filters `[shuffle, zstd]` or `[zstd]`, little-endian elements of
/// the stored dtype, chunks spanning the whole hidden axis and one record, and a chunk's C order
/// equal to a block's layer-major order (the axes a chunk spans more than one position of appear
/// in the order layers, tokens, hidden). `nil` from `init` = the dataset does not qualify.
struct HDF5ChunkGrid {
    /// One piece of a record cut along the grid.
    struct Piece {
        /// Layer and token range within the record.
        var layerStart: Int, layerCount: Int, tokenStart: Int, tokenCount: Int
        /// Where the piece starts in the dataset (axis order of the dataset).
        var origin: [Int]
        /// Its extent in the dataset.
        var count: [Int]
        /// True when the piece is one whole chunk (copied as stored); false = read and encode.
        var isWholeChunk: Bool
    }

    let axes: [HDF5Axis]
    /// Layers and tokens one chunk spans.
    let chunkLayers: Int, chunkTokens: Int
    /// Filter index of shuffle (nil = none) and of zstd in the pipeline, for the chunk filter mask.
    let shuffleIndex: Int?, zstdIndex: Int

    init?(dataset: HDF5Dataset, layout: HDF5SourceLayout) throws {
        guard !layout.convertsFloat64, let chunk = try dataset.chunkShape() else { return nil }
        let shape = try dataset.shape()
        let axes = layout.axes
        guard chunk.count == axes.count, shape.count == axes.count else { return nil }
        let filters = try dataset.filters().map(\.id)
        switch filters {
        case [2, ZstdFilter.id]: shuffleIndex = 0; zstdIndex = 1
        case [ZstdFilter.id]: shuffleIndex = nil; zstdIndex = 0
        default: return nil
        }
        guard try dataset.elementType() == layout.valueType.memoryType, try dataset.storesLittleEndian() else { return nil }
        var extent = [HDF5Axis: Int]()
        for (index, axis) in axes.enumerated() { extent[axis] = chunk[index] }
        guard let hiddenIndex = axes.firstIndex(of: .hidden), chunk[hiddenIndex] == shape[hiddenIndex],
            (extent[.records] ?? 1) == 1
        else { return nil }
        let spanned = axes.filter { $0 != .records && (extent[$0] ?? 1) > 1 }
        let order: [HDF5Axis] = [.layers, .tokens, .hidden]
        guard zip(spanned, spanned.dropFirst()).allSatisfy({ order.firstIndex(of: $0.0)! < order.firstIndex(of: $0.1)! }) else {
            return nil
        }
        self.axes = axes
        chunkLayers = extent[.layers] ?? 1
        chunkTokens = extent[.tokens] ?? 1
    }

    /// Record `index` (dataset tokens `start ..< start + count`) cut into layer groups of the grid,
    /// each cut at the grid's token boundaries; nil when no piece is a whole chunk (then the record
    /// is better encoded with the writer's own block plan).
    func pieces(record index: Int, tokenStart start: Int, tokenCount count: Int, layers: Int, hidden: Int) -> [Piece]? {
        guard count > 0 else { return nil }
        var pieces: [Piece] = []
        var anyWhole = false
        var layer = 0
        while layer < layers {
            let lc = min(chunkLayers, layers - layer)
            var token = start
            while token < start + count {
                let end = min((token / chunkTokens + 1) * chunkTokens, start + count)
                let whole = lc == chunkLayers && end - token == chunkTokens
                anyWhole = anyWhole || whole
                var origin = [Int](), extent = [Int]()
                for axis in axes {
                    switch axis {
                    case .records: origin.append(index); extent.append(1)
                    case .layers: origin.append(layer); extent.append(lc)
                    case .tokens: origin.append(token); extent.append(end - token)
                    case .hidden: origin.append(0); extent.append(hidden)
                    }
                }
                pieces.append(
                    Piece(
                        layerStart: layer, layerCount: lc, tokenStart: token - start, tokenCount: end - token,
                        origin: origin, count: extent, isWholeChunk: whole))
                token = end
            }
            layer += lc
        }
        return anyWhole ? pieces : nil
    }

    /// How a stored chunk's bytes map onto a Strata payload, from the chunk's filter mask (bit i
    /// set = filter i was skipped when the chunk was written).
    func encoding(filterMask: UInt32) -> (codec: String, shuffled: Bool) {
        let shuffled = shuffleIndex.map { filterMask & (1 << UInt32($0)) == 0 } ?? false
        let zstd = filterMask & (1 << UInt32(zstdIndex)) == 0
        return (zstd ? "zstd" : "none", shuffled)
    }
}
