import Foundation
import Strata

/// What an import did.
public struct HDF5ImportReport: Sendable {
    public var layout: String
    public var records = 0
    public var tokens = 0
    public var valueBytes = 0
    /// HDF5 chunks stored as Strata blocks without re-encoding (spec/HDF5.md §5.1).
    public var chunksCopied = 0
    /// Records read along the chunk grid (at least one chunk copied) / decoded and encoded.
    public var recordsCopied = 0
    /// Per-vector relative L2 errors, when the values were stored as q8.
    public var relError: QuantizationErrorSummary?
}

/// One record read ahead of the writer: its values buffer is reused from record to record.
private final class PrefetchSlot {
    var record = HDF5ImportedRecord(id: "", labels: [], tokenIDs: [], text: nil, tokenCount: 0)
    var values = [UInt8]()
    var byteCount = 0
    /// Set when the record was read along the chunk grid (then `values` holds only the pieces
    /// that are not whole chunks).
    var chunked: HDF5ChunkedRecord?
    var error: Error?

    func fill(from source: HDF5RecordSource, index: Int, copyChunks: Bool) {
        do {
            record = try source.record(index)
            byteCount = source.valueByteCount(index)
            chunked = copyChunks ? try source.readChunked(index, values: &values) : nil
            if chunked != nil {
                error = nil
                return
            }
            if values.count < byteCount { values = [UInt8](repeating: 0, count: byteCount) }
            try values.withUnsafeMutableBytes {
                try source.readValues(index, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<byteCount]))
            }
            error = nil
        } catch {
            self.error = error
        }
    }
}

/// Converts an HDF5 file in any layout `HDF5LayoutDetector` recognises into one sealed Strata
/// shard (a single shard is a valid dataset). Values are written in the dtype the file stores
/// (f32, f16, bf16), bit for bit. zstd level 1 by default: on hidden states it compresses as
/// well as level 3 at about twice the speed (measured, see benchmarks/hdf5.md).
///
/// The shard is written through a `FileReplacement` (locked, `OUT.partial-PID`, renamed over OUT when
/// sealed), so an import that fails or is killed leaves an existing OUT exactly as it was.
public enum HDF5Importer {
    @discardableResult
    public static func importFile(
        at input: String, to output: String, options: HDF5ImportOptions = .init(),
        writerOptions: WriterOptions = WriterOptions(zstdLevel: 1)
    ) throws -> HDF5ImportReport {
        try FileReplacement(target: output).write { partial in
            try importFile(at: input, writingTo: partial, options: options, writerOptions: writerOptions)
        }
    }

    private static func importFile(
        at input: String, writingTo output: String, options: HDF5ImportOptions,
        writerOptions: WriterOptions
    ) throws -> HDF5ImportReport {
        let source = try HDF5RecordSource(path: input, options: options)
        let layout = source.layout
        let root = try source.file.root()
        let stored = try storedMetadata(source: source, root: root, input: input)
        let auxiliaryNames =
            try stored.map { $0.auxiliary.map(\.name) }
            ?? HDF5AuxiliaryVectors.names(layout: layout, root: root, file: input, options: options)
        let auxiliary = try HDF5AuxiliaryVectors(names: auxiliaryNames, layout: layout, root: root, count: source.count, file: input)
        var metadata = stored ?? describedMetadata(source: source, auxiliary: auxiliary.declarations, input: input)
        // q8 is quantized from the values: chunks in the file's dtype cannot be copied as q8 blocks.
        let copyChunks = options.copyChunks && options.q8MaxRelError == nil
        if let bound = options.q8MaxRelError {
            metadata.dtype = .q8
            metadata.quantization = .q8(maxRelError: bound)
        }
        var firstRowOfID: [String: Int] = [:]

        let writer = try ShardWriter(path: output, metadata: metadata, options: writerOptions)
        var report = HDF5ImportReport(layout: layout.summary)
        // Two slots: while the writer encodes record i, a background thread reads record i+1 from
        // HDF5 (decompression there overlaps compression here).
        let slots = [PrefetchSlot(), PrefetchSlot()]
        let reader = DispatchQueue(label: "strata.hdf5.import.read")
        // The read-ahead blocks hold the source (and so the open HDF5 file) until the queue has
        // released them; wait for that so the file is closed when this function returns.
        defer { reader.sync {} }
        func prefetch(_ index: Int) -> DispatchGroup {
            let group = DispatchGroup()
            guard index < source.count else { return group }
            group.enter()
            reader.async {
                slots[index % 2].fill(from: source, index: index, copyChunks: copyChunks)
                group.leave()
            }
            return group
        }
        var pending = prefetch(0)
        for index in 0..<source.count {
            pending.wait()
            let slot = slots[index % 2]
            if let error = slot.error { throw error }
            if let first = firstRowOfID.updateValue(index, forKey: slot.record.id) {
                throw HDF5ImportError(
                    file: input,
                    problem: "record id \"\(slot.record.id)\" appears twice: \(try source.idOrigin(first)) "
                        + "(record \(first)) and \(try source.idOrigin(index)) (record \(index))",
                    needed: "a unique id per record (a Strata shard addresses records by id)")
            }
            let next = prefetch(index + 1)
            do {
                try append(slot, index: index, valueType: layout.valueType, auxiliary: auxiliary, to: writer, input: input)
            } catch {
                next.wait()
                throw error
            }
            report.records += 1
            report.tokens += slot.record.tokenCount
            report.valueBytes += slot.byteCount
            if let chunked = slot.chunked {
                report.chunksCopied += chunked.chunksCopied
                report.recordsCopied += 1
            }
            pending = next
        }
        report.relError = writer.quantizationErrors
        try writer.close()
        return report
    }

    private static func append(
        _ slot: PrefetchSlot, index: Int, valueType: HDF5ValueType,
        auxiliary: HDF5AuxiliaryVectors, to writer: ShardWriter, input path: String
    ) throws {
        let record = slot.record
        var input = RecordInput(
            id: record.id, labels: record.labels, tokenIDs: record.tokenIDs, text: record.text,
            metadata: record.metadata)
        input.auxiliary = auxiliary.record(index)
        if input.tokenIDs.isEmpty && record.tokenCount > 0 {
            // The file has no token ids; Strata records carry one per token, so mark them unknown.
            input.tokenIDs = [Int32](repeating: -1, count: record.tokenCount)
        }
        if let chunked = slot.chunked {
            try appendChunked(chunked, record: input, index: index, valueType: valueType, values: slot.values, to: writer, input: path)
            return
        }
        try slot.values.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<slot.byteCount])
            switch valueType {
            case .f32: try writer.append(input, values: .f32(bytes.bindMemory(to: Float.self)))
            case .f16: try writer.append(input, values: .f16(bytes.bindMemory(to: UInt16.self)))
            case .bf16: try writer.append(input, values: .bf16(bytes.bindMemory(to: UInt16.self)))
            }
        }
    }

    /// Appends a record read along the chunk grid: whole chunks as pre-encoded blocks, the other
    /// pieces as values. A chunk the writer refuses (damaged zstd frame, wrong size) is reported
    /// with the HDF5 dataset, the chunk's position and the record.
    private static func appendChunked(
        _ chunked: HDF5ChunkedRecord, record: RecordInput, index: Int, valueType: HDF5ValueType,
        values: [UInt8], to writer: ShardWriter, input path: String
    ) throws {
        try values.withUnsafeBytes { raw in
            let blocks: [RecordBlock] = chunked.blocks.map { block in
                switch block {
                case .chunk(let stored, _):
                    return .encoded(stored)
                case .values(let layerStart, let layerCount, let tokenStart, let tokenCount, let offset, let count):
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
                    let buffer: HiddenStatesBuffer
                    switch valueType {
                    case .f32: buffer = .f32(bytes.bindMemory(to: Float.self))
                    case .f16: buffer = .f16(bytes.bindMemory(to: UInt16.self))
                    case .bf16: buffer = .bf16(bytes.bindMemory(to: UInt16.self))
                    }
                    return .values(layerStart: layerStart, layerCount: layerCount, tokenStart: tokenStart, tokenCount: tokenCount, buffer)
                }
            }
            do {
                try writer.append(record, blocks: blocks)
            } catch let error as StrataError where error.kind == .corrupt {
                var chunk = ""
                if let k = error.block, k < chunked.blocks.count, case .chunk(_, let origin) = chunked.blocks[k] {
                    chunk = "chunk at \(origin) "
                }
                throw HDF5Error(
                    file: path, object: chunked.datasetPath, operation: "import \(chunk)of record \(index) (id \"\(record.id)\")",
                    reason: "the stored chunk is damaged (\(error.message)); nothing of this record was written")
            }
        }
    }

    /// The Strata metadata stored by Strata's exporter (`strata_metadata`), checked against the
    /// values; nil when the file has none.
    static func storedMetadata(source: HDF5RecordSource, root: HDF5Group, input: String) throws -> StrataMetadata? {
        let layout = source.layout
        guard let json = try root.stringAttribute("strata_metadata"), let data = json.data(using: .utf8) else { return nil }
        let stored: StrataMetadata
        do {
            stored = try JSONDecoder().decode(StrataMetadata.self, from: data)
        } catch {
            throw StrataHDF5Error.incompatible(file: input, "the strata_metadata attribute is not valid Strata metadata JSON: \(error)")
        }
        guard stored.hidden == layout.hidden, stored.layers.count == layout.layerCount, stored.dtype == layout.valueType.strataDType else {
            throw StrataHDF5Error.incompatible(
                file: input,
                "the strata_metadata attribute (hidden \(stored.hidden), \(stored.layers.count) layers, \(stored.dtype.rawValue)) does not match the values (hidden \(layout.hidden), \(layout.layerCount) layers, \(layout.valueType.strataDType.rawValue))"
            )
        }
        return stored
    }

    /// Metadata for a file without `strata_metadata`, saying no more than the file does: nothing
    /// tells which model layers these are, so each layer's index is its position in the file, its
    /// kind is "unknown", and `layer_semantics` is "unknown" (spec/FORMAT.md §4).
    static func describedMetadata(source: HDF5RecordSource, auxiliary: [AuxiliaryInfo], input: String) -> StrataMetadata {
        let layout = source.layout
        return StrataMetadata(
            hidden: layout.hidden,
            layers: (0..<layout.layerCount).map { LayerInfo(index: $0, kind: LayerInfo.unknownKind) },
            dtype: layout.valueType.strataDType, labelNames: source.labelClassNames, auxiliary: auxiliary,
            extra: [
                "source": "hdf5:" + URL(fileURLWithPath: input).lastPathComponent,
                "source_layout": layout.summary,
                "layer_info": "not recorded in the HDF5 file; layer indices are positions in the file"
            ],
            layerSemantics: StrataMetadata.unknownLayerSemantics)
    }
}
