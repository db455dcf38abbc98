/// Copies records between datasets without loss, with id, labels, token ids, text, metadata and
/// auxiliary vectors carried over. By default each stored block is copied byte for byte (checked
/// against its CRC32C, never decompressed), so the copy keeps the source's block layout and
/// compression and costs about a file copy. With `reencode`, values are decoded to f32 and
/// re-encoded with the writer's options (f16 → f32 → f16 and bf16 → f32 → bf16 are exact), for a
/// caller that changes the codec settings or the dtype (`strata convert`; into q8 the values are then
/// quantized within the writer's error bound). Buffers are reused across records.
final class RecordCopier {
    let source: StrataDataset
    let reencode: Bool
    private var floats: [Float] = []
    private var halves: [UInt16] = []

    init(source: StrataDataset, reencode: Bool = false) {
        self.source = source
        self.reencode = reencode
    }

    func copy(_ global: Int, to writer: RollingDatasetWriter) throws {
        let record = try input(global)
        if !reencode {
            let (s, local) = source.locate(global)
            let shard = source.shards[s]
            let blocks = try (0..<shard.blockCount(local)).map { RecordBlock.encoded(try shard.storedBlock(local, block: $0)) }
            try writer.append(record, blocks: blocks)
            return
        }
        try values(global, for: writer.metadata.dtype) { try writer.append(record, values: $0) }
    }

    /// Record `global` without its values: id, labels, token ids, text, metadata, auxiliary vectors.
    func input(_ global: Int) throws -> RecordInput {
        let info = try source.info(global)
        var auxiliary: [String: [Float]] = [:]
        for declared in source.metadata.auxiliary {
            auxiliary[declared.name] = try source.auxiliary(global, name: declared.name)
        }
        return RecordInput(
            id: info.id, labels: info.labels, tokenIDs: info.tokenIDs, text: info.text,
            metadata: info.metadata, auxiliary: auxiliary)
    }

    /// Calls `body` with record `global`'s values, decoded, in the form a writer storing `target`
    /// takes best: the source's own dtype when it stores that dtype (exact and cheapest), f32 when
    /// it stores another one (`strata convert`) or the source is lossy.
    func values(_ global: Int, for target: StrataDType, _ body: (HiddenStatesBuffer) throws -> Void) throws {
        let (s, local) = source.locate(global)
        guard s < source.shards.count else {
            throw StrataError(.invalidArgument, "record index \(global) is out of range 0..<\(source.count)", path: source.path)
        }
        let count = try source.shards[s].tokenCount(local) * source.metadata.layers.count * source.metadata.hidden
        if floats.count < count { floats = [Float](repeating: 0, count: count) }
        try floats.withUnsafeMutableBufferPointer { buffer in
            let values = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            try source.readFloat(global, layers: nil, tokens: nil, into: values)
        }
        let passFloats = target != source.metadata.dtype || source.metadata.dtype.isLossy
        switch passFloats ? .f32 : source.metadata.dtype {
        case .f32, .q8:
            try floats.withUnsafeBufferPointer { buffer in
                try body(.f32(UnsafeBufferPointer(rebasing: buffer[0..<count])))
            }
        case .f16, .bf16:
            if halves.count < count { halves = [UInt16](repeating: 0, count: count) }
            let isBF16 = source.metadata.dtype == .bf16
            floats.withUnsafeBufferPointer { input in
                halves.withUnsafeMutableBufferPointer { output in
                    let from = UnsafeBufferPointer(rebasing: input[0..<count])
                    let to = UnsafeMutableBufferPointer(rebasing: output[0..<count])
                    if isBF16 { StrataConvert.f32ToBF16(from, to) } else { StrataConvert.f32ToF16(from, to) }
                }
            }
            try halves.withUnsafeBufferPointer { buffer in
                let stored = UnsafeBufferPointer(rebasing: buffer[0..<count])
                try body(isBF16 ? .bf16(stored) : .f16(stored))
            }
        }
    }
}
