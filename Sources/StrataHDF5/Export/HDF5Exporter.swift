import Foundation
import Strata

/// Writes a Strata dataset (directory or single shard) as an HDF5 file in the layout of
/// spec/HDF5.md. Values are copied bit for bit in the stored dtype (f32, f16, bf16 as uint16).
/// The file is written through a `FileReplacement` (locked, `OUT.partial-PID`, renamed into place when
/// complete), so a failed or killed export leaves an existing OUT untouched.
public enum HDF5Exporter {
    /// Layout marker and version stored as root attributes.
    public static let formatName = "strata-hdf5"
    public static let formatVersion: Int64 = 1

    @discardableResult
    public static func export(
        datasetAt input: String, to output: String,
        options: HDF5ExportOptions = .init()
    ) throws -> HDF5ExportReport {
        let replacement = try FileReplacement(target: output)
        let dataset = try StrataDataset(path: input, checkShardChecksums: true) // a whole-dataset rewrite (spec/FORMAT.md §11)
        var report = try replacement.write { partial in
            let file = try HDF5File(creatingAt: partial)
            let report = try ExportWriter(dataset: dataset, file: file, options: options).run()
            try file.flush()
            return report
        }
        report.removedStalePartials = replacement.removedStalePartials
        report.bytesWritten = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        return report
    }
}

/// One export run: the source dataset, the open HDF5 file, and the per-record side data.
private final class ExportWriter {
    let dataset: StrataDataset
    let file: HDF5File
    let root: HDF5Group
    let options: HDF5ExportOptions
    let metadata: StrataMetadata
    let layers: Int
    let hidden: Int
    let width: Int
    let elementType: HDF5ElementType
    var report = HDF5ExportReport()

    init(dataset: StrataDataset, file: HDF5File, options: HDF5ExportOptions) throws {
        self.dataset = dataset
        self.file = file
        self.options = options
        metadata = dataset.metadata
        layers = metadata.layers.count
        hidden = metadata.hidden
        width = metadata.dtype.byteWidth
        switch metadata.dtype {
        case .f32: elementType = .float32
        case .f16: elementType = .float16
        case .bf16: elementType = .uint16
        case .q8:
            throw StrataHDF5Error.invalidArgument(
                "export-hdf5 copies the stored dtype bit for bit, and q8 (int8 codes with per-vector scales and outlier channels) has no HDF5 element form: convert it first (strata convert IN --out OUT --dtype f32 or bf16)"
            )
        }
        root = try file.root()
    }

    func run() throws -> HDF5ExportReport {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadataJSON = String(decoding: try encoder.encode(metadata), as: UTF8.self)
        try root.setAttribute("strata_format", string: HDF5Exporter.formatName)
        try root.setAttribute("strata_format_version", integers: [HDF5Exporter.formatVersion], scalar: true)
        try root.setAttribute("strata_layout", string: options.layout.rawValue)
        try root.setAttribute("strata_metadata", string: metadataJSON)
        try root.setAttribute("strata_dtype", string: metadata.dtype.rawValue)
        if options.layout == .groups {
            try writeGroups()
        } else {
            try writeConcatenated(layerMajor: options.layout == .layerMajor)
        }
        return report
    }

    // MARK: Per-record side data

    struct SideData {
        var ids: [String] = []
        var tokenCounts: [Int] = []
        var tokenIDs: [Int32] = []
        var labels: [[Int]] = []
        var texts: [String?] = []
        var recordMetadata: [[String: String]] = []
    }

    func collectSideData() throws -> SideData {
        var side = SideData()
        for index in 0..<dataset.count {
            let info = try dataset.info(index)
            side.ids.append(info.id)
            side.tokenCounts.append(info.nTokens)
            side.tokenIDs.append(contentsOf: info.tokenIDs)
            side.labels.append(info.labels)
            side.texts.append(info.text)
            side.recordMetadata.append(info.metadata)
        }
        return side
    }

    func writeSideData(_ side: SideData) throws {
        let n = side.ids.count
        var offsets = [Int64](repeating: 0, count: n + 1)
        for i in 0..<n { offsets[i + 1] = offsets[i] + Int64(side.tokenCounts[i]) }
        try writeIntegers("offsets", offsets.map { $0 }, type: .int64)
        try writeIntegers("token_ids", side.tokenIDs.map { Int64($0) }, type: .int32)
        try root.createStringDataset("ids", values: side.ids)
        let labelCounts = side.labels.map(\.count)
        let maximumLabels = labelCounts.max() ?? 0
        if maximumLabels > 0 {
            if labelCounts.allSatisfy({ $0 == 1 }) {
                try writeIntegers("labels", side.labels.map { Int64($0[0]) }, type: .int64)
            } else {
                // Several (or missing) labels per record: rows padded with -1, counts alongside.
                var rows = [Int64](repeating: -1, count: n * maximumLabels)
                for (i, labels) in side.labels.enumerated() {
                    for (j, label) in labels.enumerated() { rows[i * maximumLabels + j] = Int64(label) }
                }
                try writeIntegers("labels", rows, type: .int64, shape: [n, maximumLabels])
                try writeIntegers("label_counts", labelCounts.map { Int64($0) }, type: .int32)
            }
        }
        if side.texts.contains(where: { $0 != nil }) {
            try root.createStringDataset("texts", values: side.texts.map { $0 ?? "" })
            if side.texts.contains(where: { $0 == nil }) {
                try writeIntegers("has_text", side.texts.map { $0 == nil ? 0 : 1 }, type: .uint8)
            }
        }
        if side.recordMetadata.contains(where: { !$0.isEmpty }) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try root.createStringDataset(
                "record_metadata",
                values: try side.recordMetadata.map {
                    String(decoding: try encoder.encode($0), as: UTF8.self)
                })
        }
        if !metadata.auxiliary.isEmpty {
            let group = try root.createGroup("auxiliary")
            for auxiliary in metadata.auxiliary {
                var values: [Float] = []
                var auxOffsets: [Int64] = [0]
                for index in 0..<n {
                    values.append(contentsOf: try dataset.auxiliary(index, name: auxiliary.name))
                    auxOffsets.append(Int64(values.count))
                }
                let data = try group.createDataset(auxiliary.name, type: .float32, shape: [values.count])
                try values.withUnsafeBytes { try data.write($0, as: .float32) }
                let offsetsData = try group.createDataset(auxiliary.name + "_offsets", type: .int64, shape: [n + 1])
                try auxOffsets.withUnsafeBytes { try offsetsData.write($0, as: .int64) }
            }
        }
    }

    func writeIntegers(_ name: String, _ values: [Int64], type: HDF5ElementType, shape: [Int]? = nil) throws {
        let dataset = try root.createDataset(name, type: type, shape: shape ?? [values.count])
        // HDF5 converts the int64 memory values to the file type (range-checked by construction).
        try values.withUnsafeBytes { try dataset.write($0, as: .int64) }
    }

    // MARK: Values of one record

    /// Reads record `local` of `shard` into `buffer` (grown as needed) as layers × tokens × hidden
    /// stored-dtype bits, through the shard reader and so with every check `strata verify` makes.
    func readRecord(_ shard: ShardReader, local: Int, tokens: Int, into buffer: inout [UInt8]) throws {
        let needed = layers * tokens * hidden * width
        if buffer.count < needed { buffer = [UInt8](repeating: 0, count: needed) }
        try buffer.withUnsafeMutableBytes { try shard.readStored(local, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<needed])) }
        report.blocksRecompressed += try shard.blockCount(local)
    }

    // MARK: Concatenated layouts

    func writeConcatenated(layerMajor: Bool) throws {
        let side = try collectSideData()
        try writeSideData(side)
        let totalTokens = side.tokenCounts.reduce(0, +)
        let rowBytes = hidden * width
        // Chunk: whole rows of hidden; ~chunkTargetBytes of tokens (one layer, or all layers per token).
        let perToken = layerMajor ? rowBytes : layers * rowBytes
        let chunkTokens = max(1, min(max(totalTokens, 1), options.chunkTargetBytes / max(perToken, 1)))
        let shape = layerMajor ? [layers, totalTokens, hidden] : [totalTokens, layers, hidden]
        let chunk = layerMajor ? [1, chunkTokens, hidden] : [chunkTokens, layers, hidden]
        let useChunks = totalTokens > 0 && options.compression != .none
        let data = try root.createDataset(
            "hidden_states", type: elementType, shape: shape,
            chunk: useChunks ? chunk : nil, filters: useChunks ? options.filters : [])
        try data.setAttribute("strata_axes", string: layerMajor ? "layers,tokens,hidden" : "tokens,layers,hidden")
        try data.setAttribute("strata_dtype", string: metadata.dtype.rawValue)

        // Records are staged into whole-chunk slabs so that HDF5 never re-reads a partial chunk.
        let stageTokens = chunkTokens * max(1, (4 << 20) / max(chunkTokens * perToken, 1))
        var stage = [UInt8](repeating: 0, count: stageTokens * layers * rowBytes)
        var staged = 0
        var written = 0
        func flush() throws {
            guard staged > 0 else { return }
            if layerMajor {
                // Stage holds [layers][stageTokens][hidden]; write the first `staged` tokens of each layer.
                if staged == stageTokens {
                    try stage.withUnsafeBytes {
                        try data.write($0, as: elementType, start: [0, written, 0], count: [layers, staged, hidden])
                    }
                } else {
                    var compact = [UInt8](repeating: 0, count: layers * staged * rowBytes)
                    for l in 0..<layers {
                        compact.replaceSubrange(
                            l * staged * rowBytes..<(l + 1) * staged * rowBytes,
                            with: stage[l * stageTokens * rowBytes..<(l * stageTokens + staged) * rowBytes])
                    }
                    try compact.withUnsafeBytes {
                        try data.write($0, as: elementType, start: [0, written, 0], count: [layers, staged, hidden])
                    }
                }
            } else {
                try stage.withUnsafeBytes {
                    try data.write(
                        UnsafeRawBufferPointer(rebasing: $0[0..<staged * layers * rowBytes]), as: elementType,
                        start: [written, 0, 0], count: [staged, layers, hidden])
                }
            }
            written += staged
            staged = 0
        }

        var record = [UInt8]()
        var global = 0
        for shard in dataset.shards {
            for local in 0..<shard.count {
                let tokens = side.tokenCounts[global]
                try readRecord(shard, local: local, tokens: tokens, into: &record)
                var done = 0
                while done < tokens {
                    let take = min(tokens - done, stageTokens - staged)
                    record.withUnsafeBytes { source in
                        stage.withUnsafeMutableBytes { destination in
                            for l in 0..<layers {
                                for t in 0..<take {
                                    let from = (l * tokens + done + t) * rowBytes
                                    let to =
                                        layerMajor
                                        ? (l * stageTokens + staged + t) * rowBytes
                                        : ((staged + t) * layers + l) * rowBytes
                                    destination.baseAddress!.advanced(by: to)
                                        .copyMemory(from: source.baseAddress!.advanced(by: from), byteCount: rowBytes)
                                }
                            }
                        }
                    }
                    staged += take
                    done += take
                    if staged == stageTokens { try flush() }
                }
                report.records += 1
                report.tokens += tokens
                global += 1
            }
        }
        try flush()
    }

    // MARK: One group per record (direct chunk copy)

    func writeGroups() throws {
        let digits = max(6, String(max(dataset.count - 1, 0)).count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var record = [UInt8]()
        var global = 0
        let directCopy: Bool
        if case .zstd = options.compression { directCopy = true } else { directCopy = false }
        for shard in dataset.shards {
            for local in 0..<shard.count {
                let info = try shard.info(local)
                let name = String(repeating: "0", count: max(0, digits - String(global).count)) + String(global)
                let group = try root.createGroup(name)
                try group.setAttribute("id", string: info.id)
                if !info.labels.isEmpty { try group.setAttribute("labels", integers: info.labels.map { Int64($0) }) }
                if let text = info.text { try group.setAttribute("text", string: text) }
                if !info.metadata.isEmpty {
                    try group.setAttribute("metadata", string: String(decoding: try encoder.encode(info.metadata), as: UTF8.self))
                }
                if !metadata.auxiliary.isEmpty {
                    let auxiliaryGroup = try group.createGroup("auxiliary")
                    for auxiliary in metadata.auxiliary {
                        let values = try dataset.auxiliary(global, name: auxiliary.name)
                        let data = try auxiliaryGroup.createDataset(auxiliary.name, type: .float32, shape: [values.count])
                        try values.withUnsafeBytes { try data.write($0, as: .float32) }
                    }
                }
                let tokenIDs = try group.createDataset("token_ids", type: .int32, shape: [info.nTokens])
                try info.tokenIDs.withUnsafeBytes { try tokenIDs.write($0, as: .int32) }
                let tokens = info.nTokens
                let blocks = try (0..<shard.blockCount(local)).map { try shard.storedBlock(local, block: $0) }
                let chunk = blocks.first.map { [$0.layerCount, $0.tokenCount, hidden] }
                let useChunks = chunk != nil && options.compression != .none
                let data = try group.createDataset(
                    "hidden", type: elementType, shape: [layers, tokens, hidden],
                    chunk: useChunks ? chunk : nil, filters: useChunks ? options.filters : [])
                try data.setAttribute("strata_axes", string: "layers,tokens,hidden")
                try data.setAttribute("strata_dtype", string: metadata.dtype.rawValue)
                var chunkChecksums: [Int64] = [] // (layer start, token start, CRC32C) per copied chunk
                for block in blocks {
                    let fitsChunk =
                        chunk.map {
                            block.layerCount == $0[0] && block.tokenCount == $0[1]
                                && block.layerStart % $0[0] == 0 && block.tokenStart % $0[1] == 0
                        } ?? false
                    if directCopy && useChunks && fitsChunk && block.shuffled {
                        // The payload is shuffle-then-zstd of exactly this chunk: HDF5's [shuffle, zstd]
                        // pipeline output. A block stored without zstd skips filter 1 (mask bit 1). The
                        // reader has checked the payload against its CRC32C, which the chunk keeps.
                        let crc = block.sourceCRC ?? CRC32C.checksum(block.payload)
                        try block.payload.withUnsafeBytes {
                            try data.writeChunk(
                                at: [block.layerStart, block.tokenStart, 0],
                                filterMask: block.codec == "zstd" ? 0 : 0b10, bytes: $0)
                        }
                        chunkChecksums += [Int64(block.layerStart), Int64(block.tokenStart), Int64(crc)]
                        report.chunksCopied += 1
                    } else {
                        let count = block.layerCount * block.tokenCount * hidden * width
                        if record.count < count { record = [UInt8](repeating: 0, count: count) }
                        try record.withUnsafeMutableBytes {
                            try shard.readStored(
                                local, layers: Array(block.layerStart..<block.layerStart + block.layerCount),
                                tokens: block.tokenStart..<block.tokenStart + block.tokenCount,
                                into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count]))
                        }
                        try record.withUnsafeBytes {
                            try data.write(
                                UnsafeRawBufferPointer(rebasing: $0[0..<count]), as: elementType,
                                start: [block.layerStart, block.tokenStart, 0],
                                count: [block.layerCount, block.tokenCount, hidden])
                        }
                        report.blocksRecompressed += 1
                    }
                }
                if !chunkChecksums.isEmpty {
                    try data.setAttribute(HDF5ChunkChecksums.attributeName, integers: chunkChecksums)
                }
                report.records += 1
                report.tokens += tokens
                global += 1
            }
        }
    }
}
