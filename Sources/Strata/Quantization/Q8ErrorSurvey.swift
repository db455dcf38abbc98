/// Measures, without writing anything, the per-vector errors a q8 shard written with these
/// metadata and options would have: the same block plan and quantizer as `ShardWriter`, no zstd.
/// Commands that can read their input twice (`strata convert`, `synth`) survey it first, so the
/// shard's metadata can carry the distribution (`quantization.rel_error`) and a vector over the
/// bound is reported before any output exists.
public final class Q8ErrorSurvey {
    public let metadata: StrataMetadata
    public let options: WriterOptions
    private let encoder: BlockEncoder
    public private(set) var stats = QuantizationErrorStats()
    private var recordCount = 0

    public init(metadata: StrataMetadata, options: WriterOptions) throws {
        if let problem = metadata.validationProblem() { throw StrataError(.invalidArgument, "invalid metadata: \(problem)") }
        guard metadata.dtype == .q8, let bound = metadata.quantization?.maxRelError else {
            throw StrataError(.invalidArgument, "an error survey needs q8 metadata, not \(metadata.dtype.rawValue)")
        }
        self.metadata = metadata
        self.options = options
        encoder = try BlockEncoder(level: options.zstdLevel, maxRelError: bound)
    }

    /// Quantizes one record's values (layers × tokens × hidden, layer-major) block by block and adds
    /// their errors; throws naming the record, layer position and token of a vector over the bound.
    public func add(_ record: RecordInput, values: HiddenStatesBuffer) throws {
        let t = record.tokenIDs.count, hidden = metadata.hidden
        guard values.count == metadata.layers.count * t * hidden else {
            throw StrataError(
                .invalidArgument, "values hold \(values.count) elements, expected layers × tokens × hidden", record: recordCount,
                recordID: record.id)
        }
        let plan = BlockPlan(
            layers: metadata.layers.count, tokens: t, hidden: hidden, width: metadata.dtype.byteWidth,
            targetBytes: options.blockTargetBytes, layersPerBlock: options.layersPerBlock)
        var recordStats = QuantizationErrorStats()
        for tile in plan.tiles {
            do {
                _ = try encoder.quantize(values: values, tokens: t, hidden: hidden, tile: tile, origin: (tile.layerStart, tile.tokenStart))
            } catch let error as StrataError {
                throw error.located(path: nil, record: recordCount, recordID: record.id)
            }
            for e in encoder.lastErrors { recordStats.add(e) }
        }
        stats.merge(recordStats)
        recordCount += 1
    }

    public var summary: QuantizationErrorSummary { stats.summary }
}
