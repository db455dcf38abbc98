/// One block of a record handed to `ShardWriter.append(_:blocks:)`, which lets a converter store
/// some blocks exactly as they were encoded elsewhere (an HDF5 `[shuffle, zstd]` chunk is a Strata
/// block payload) and have the writer encode the rest.
public enum RecordBlock {
    /// Values of one tile — layer-major `layerCount × tokenCount × hidden`, only the tile's values —
    /// encoded by the writer exactly as `append(_:values:)` encodes a block.
    case values(layerStart: Int, layerCount: Int, tokenStart: Int, tokenCount: Int, HiddenStatesBuffer)
    /// A payload encoded elsewhere (spec/FORMAT.md §5), stored byte for byte after the writer has
    /// checked it (see `ShardWriter.append(_:blocks:)`).
    case encoded(StoredBlock)

    var layerStart: Int {
        switch self {
        case .values(let start, _, _, _, _): return start
        case .encoded(let block): return block.layerStart
        }
    }

    var layerCount: Int {
        switch self {
        case .values(_, let count, _, _, _): return count
        case .encoded(let block): return block.layerCount
        }
    }

    var tokenStart: Int {
        switch self {
        case .values(_, _, let start, _, _): return start
        case .encoded(let block): return block.tokenStart
        }
    }

    var tokenCount: Int {
        switch self {
        case .values(_, _, _, let count, _): return count
        case .encoded(let block): return block.tokenCount
        }
    }
}
