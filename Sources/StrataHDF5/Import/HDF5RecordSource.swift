import Foundation
import Strata

/// Reads records out of an HDF5 file laid out as `HDF5SourceLayout` describes: values come back
/// layer-major ([layer][token][hidden]) in the stored element type (f16/bf16 as 16-bit patterns,
/// f32 as floats), with no conversion and so no change of any value.
public final class HDF5RecordSource {
    public let layout: HDF5SourceLayout
    public let file: HDF5File
    let root: HDF5Group
    /// What the user said (datasets to leave alone).
    let options: HDF5ImportOptions
    /// The activation dataset (ragged and padded layouts).
    let data: HDF5Dataset?
    /// The chunk grid of `data` when its chunks can be copied as blocks (computed on first use).
    var sharedChunkGrid: HDF5ChunkGrid?? = nil
    private var labels: [Int] = []
    private var labelWidth = 0
    private var labelNames: [String]?
    private var tokenIDs: [Int64] = []
    private var tokenIDWidth = 0
    private var ids: [String]?
    private var texts: [String]?
    private var labelCounts: [Int]?
    private var hasText: [Int64]?
    private var recordMetadata: [String]?
    /// Source-order scratch for one record's values before the transposition to layer-major.
    private var scratch: [UInt8] = []

    /// Opens `path` and detects its layout.
    public convenience init(path: String, options: HDF5ImportOptions = .init()) throws {
        let file = try HDF5File(openingAt: path)
        try self.init(file: file, layout: try HDF5LayoutDetector.detect(file: file, options: options), options: options)
    }

    public init(file: HDF5File, layout: HDF5SourceLayout, options: HDF5ImportOptions = .init()) throws {
        // Nothing is read or allocated before every size is within the format's limits.
        try layout.checkLimits(file: file.path)
        self.file = file
        self.layout = layout
        self.options = options
        root = try file.root()
        if case .groupPerExample(let groups) = layout.arrangement {
            data = nil
            if let first = groups.first {
                try Self.requireAvailableFilters(try root.openGroup(first).openDataset(layout.dataName))
            }
        } else {
            data = try Self.openActivations(in: root, layout: layout)
        }
        try loadSideData()
    }

    /// Class names when the labels were strings (index = label value), else nil.
    public var labelClassNames: [String]? { labelNames }

    /// Opens the activation array with a chunk cache sized for record-by-record reads. It is first
    /// inspected through a handle that is closed again before the real open: HDF5 shares one
    /// dataset object between open handles, and its chunk cache is fixed by the first open.
    private static func openActivations(in root: HDF5Group, layout: HDF5SourceLayout) throws -> HDF5Dataset {
        let cacheBytes: Int?
        do {
            let probe = try root.openDataset(layout.dataName)
            try requireAvailableFilters(probe)
            cacheBytes = try Self.cacheBytes(for: probe, layout: layout)
        }
        return try root.openDataset(layout.dataName, chunkCacheBytes: cacheBytes)
    }

    /// Filters by registered id that Strata cannot run (it runs deflate, shuffle, fletcher32,
    /// zstd and the other filters built into HDF5).
    static let knownFilterNames: [Int32: String] = [
        4: "szip", 307: "bzip2", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32013: "zfp",
        32017: "sz", 32024: "sz3", 32026: "blosc2"
    ]

    /// Fails up front, with the filter's id and name, when the dataset needs a filter this
    /// process cannot run (instead of HDF5's plugin-path message at the first read).
    static func requireAvailableFilters(_ dataset: HDF5Dataset) throws {
        for filter in try dataset.filters() where !filter.isAvailable {
            let name = knownFilterNames[filter.id] ?? (filter.name.isEmpty ? "unknown" : filter.name)
            throw HDF5ImportError(
                file: dataset.filePath,
                problem: "\(dataset.path) is compressed with HDF5 filter \(filter.id) (\(name)), which Strata does not include",
                needed: "a file compressed with gzip, shuffle or zstd (filter 32015); rewrite it with h5py, e.g. "
                    + "compression='gzip' or hdf5plugin.Zstd()")
        }
    }

    /// A chunk cache that holds every chunk one record touches plus its neighbours, so that
    /// consecutive records sharing a chunk decompress it once.
    private static func cacheBytes(for dataset: HDF5Dataset, layout: HDF5SourceLayout) throws -> Int? {
        guard let chunk = try dataset.chunkShape() else { return nil }
        let shape = try dataset.shape()
        let width = layout.convertsFloat64 ? 8 : layout.valueType.byteWidth
        let chunkBytes = chunk.reduce(1, *) * width
        var chunksPerRow = 1
        for (index, axis) in layout.axes.enumerated() where axis != .tokens && axis != .records {
            chunksPerRow *= (shape[index] + chunk[index] - 1) / chunk[index]
        }
        return min(1 << 30, max(32 << 20, 4 * chunkBytes * chunksPerRow))
    }

    /// An error about side dataset `path` that does not fit the records; a root dataset can be left
    /// out with --ignore, which the message says.
    private func misfit(_ path: String, _ problem: String, needed: String, ignorable: Bool = true) -> HDF5ImportError {
        HDF5ImportError(
            file: file.path, problem: "\(path) \(problem)",
            needed: needed + (ignorable ? "; or --ignore \(path) to import without it" : ""))
    }

    private func loadSideData() throws {
        let n = layout.recordCount
        let singleArray = layout.arrangement == .ragged || layout.arrangement == .padded
        // (Group-per-example files keep labels in each group; they are read with each record.)
        if let name = layout.labelsName, singleArray {
            let dataset = try root.openDataset(name)
            let shape = try dataset.shape()
            labelWidth = shape.count <= 1 ? 1 : HDF5Dataspace.elementCount(Array(shape.dropFirst())) ?? Int.max
            guard labelWidth <= StrataLimits.maxLabels else {
                throw misfit(
                    name, "has \(labelWidth) labels per record (shape \(shape)), over the limit of \(StrataLimits.maxLabels)",
                    needed: "one label or one row of labels per record")
            }
            if try dataset.isStringDataset() {
                guard shape.count <= 1 else {
                    throw misfit(name, "holds strings of shape \(shape)", needed: "one string label per record ([N])")
                }
                let strings = try dataset.readStrings()
                let names = Array(Set(strings)).sorted()
                let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
                labels = strings.map { index[$0]! }
                labelNames = names
            } else {
                labels = try dataset.readIntegers().map { Int($0) }
            }
            guard labels.count == n * labelWidth else {
                throw misfit(name, "\(shape) does not have \(n) rows", needed: "one label (or one row of labels) per record")
            }
        }
        if let name = layout.tokenIDsName, singleArray {
            let dataset = try root.openDataset(name)
            tokenIDs = try dataset.readIntegers()
            tokenIDWidth = layout.arrangement == .padded ? (try dataset.shape().last ?? 0) : 0
        }
        if let name = layout.idsName {
            let dataset = try root.openDataset(name)
            ids = try dataset.isStringDataset() ? try dataset.readStrings() : try dataset.readIntegers().map(String.init)
        }
        if let name = layout.textsName {
            let dataset = try root.openDataset(name)
            guard try dataset.isStringDataset() else {
                throw misfit(name, "holds \(try dataset.typeSummary()), not strings", needed: "one text string per record")
            }
            texts = try dataset.readStrings()
        }
        // Written by Strata's exporter (spec/HDF5.md): per-record label counts for padded label
        // rows, which records have text, per-record metadata as JSON. Present but not fitting the
        // records is an error like any other side dataset.
        if !singleArray { return }
        if let dataset = try strataSideDataset("label_counts") {
            let counts = try dataset.readIntegers().map { Int($0) }
            guard counts.count == n, counts.allSatisfy({ $0 >= 0 && $0 <= labelWidth }) else {
                throw misfit(
                    dataset.path, "holds \(counts.count) counts, expected \(n) counts in 0...\(labelWidth) (the width of the label rows)",
                    needed: "one label count per record")
            }
            labelCounts = counts
        }
        if let dataset = try strataSideDataset("has_text") {
            let flags = try dataset.readIntegers()
            guard flags.count == n else {
                throw misfit(dataset.path, "holds \(flags.count) flags, expected \(n)", needed: "one has-text flag per record")
            }
            hasText = flags
        }
        if let dataset = try strataSideDataset("record_metadata") {
            let values = try dataset.readStrings()
            guard values.count == n else {
                throw misfit(dataset.path, "holds \(values.count) strings, expected \(n)", needed: "one JSON object per record")
            }
            recordMetadata = values
        }
    }

    /// The root dataset `name` that Strata's exporter writes, unless absent or ignored.
    private func strataSideDataset(_ name: String) throws -> HDF5Dataset? {
        guard root.kind(of: name) == .dataset, !options.isIgnored(name) else { return nil }
        return try root.openDataset(name)
    }

    /// Where record `index`'s id comes from, for messages: the ids dataset and row, the group's
    /// `id` attribute, or the group's name.
    func idOrigin(_ index: Int) throws -> String {
        switch layout.arrangement {
        case .groupPerExample(let groups):
            return try root.openGroup(groups[index]).hasAttribute("id") ? "attribute id of /\(groups[index])" : "group /\(groups[index])"
        case .ragged, .padded:
            return layout.idsName.map { "\($0) row \(index)" } ?? "record \(index)"
        }
    }

    public var count: Int { layout.recordCount }

    /// Bytes of record `index`'s values: layers × tokens × hidden × element width.
    public func valueByteCount(_ index: Int) -> Int {
        layout.layerCount * layout.tokenCounts[index] * layout.hidden * layout.valueType.byteWidth
    }

    /// Everything about record `index` except its values.
    public func record(_ index: Int) throws -> HDF5ImportedRecord {
        let start = layout.tokenStarts[index], count = layout.tokenCounts[index]
        var record = HDF5ImportedRecord(
            id: ids?[index] ?? String(index), labels: [], tokenIDs: [],
            text: texts?[index], tokenCount: count)
        if labelWidth > 0 {
            let width = labelCounts?[index] ?? labelWidth
            record.labels = Array(labels[index * labelWidth..<index * labelWidth + width])
        }
        if let hasText, hasText[index] == 0 { record.text = nil }
        if let recordMetadata, let data = recordMetadata[index].data(using: .utf8) {
            record.metadata = (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
        }
        switch layout.arrangement {
        case .ragged where !tokenIDs.isEmpty:
            record.tokenIDs = try tokenIDs32(tokenIDs[start..<start + count], record: index)
        case .padded where !tokenIDs.isEmpty:
            let base = index * tokenIDWidth + start
            record.tokenIDs = try tokenIDs32(tokenIDs[base..<base + count], record: index)
        case .groupPerExample(let groups):
            let group = try root.openGroup(groups[index])
            record.id = try group.stringAttribute("id") ?? groups[index]
            record.text = try group.stringAttribute("text")
            if let json = try group.stringAttribute("metadata"), let data = json.data(using: .utf8) {
                record.metadata = (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
            }
            if let name = layout.tokenIDsName ?? HDF5LayoutDetector.tokenIDNames.first(where: { group.kind(of: $0) == .dataset }) {
                let dataset = try group.openDataset(name)
                let shape = try dataset.shape()
                guard HDF5Dataspace.elementCount(shape) == count else {
                    throw misfit(
                        dataset.path, "has shape \(shape) but \(layout.dataPath(record: index)) has \(count) tokens",
                        needed: "one token id per token", ignorable: false)
                }
                record.tokenIDs = try tokenIDs32(try dataset.readIntegers()[...], record: index)
            }
            for name in [layout.labelsName].compactMap({ $0 }) + HDF5LayoutDetector.labelNames {
                if group.kind(of: name) == .dataset {
                    let dataset = try group.openDataset(name)
                    let shape = try dataset.shape()
                    guard let labelCount = HDF5Dataspace.elementCount(shape), labelCount <= StrataLimits.maxLabels else {
                        throw misfit(
                            dataset.path, "has shape \(shape), more than the \(StrataLimits.maxLabels) labels a record may have",
                            needed: "the record's labels", ignorable: false)
                    }
                    record.labels = try dataset.readIntegers().map { Int($0) }
                    break
                }
                if group.hasAttribute(name) {
                    record.labels = (try group.integerAttribute(name) ?? []).map { Int($0) }
                    break
                }
            }
        default:
            break
        }
        return record
    }

    /// Token ids as Strata stores them (int32); a value outside that range is an error, not a
    /// silently wrapped id.
    private func tokenIDs32(_ values: ArraySlice<Int64>, record: Int) throws -> [Int32] {
        var result = [Int32]()
        result.reserveCapacity(values.count)
        for value in values {
            guard let id = Int32(exactly: value) else {
                throw HDF5ImportError(
                    file: file.path, problem: "record \(record) has token id \(value), outside int32",
                    needed: "token ids that fit in 32 bits")
            }
            result.append(id)
        }
        return result
    }

    /// Reads record `index`'s values, layer-major, into `buffer` (exactly `valueByteCount(index)` bytes).
    public func readValues(_ index: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count == valueByteCount(index) else {
            throw HDF5ImportError(
                file: file.path, problem: "buffer of \(buffer.count) bytes for record \(index) of \(valueByteCount(index))",
                needed: "a buffer of layers × tokens × hidden × element width")
        }
        let dataset: HDF5Dataset
        var shape: [Int]
        if case .groupPerExample(let groups) = layout.arrangement {
            dataset = try root.openGroup(groups[index]).openDataset(layout.dataName)
            shape = try dataset.shape()
        } else {
            dataset = data!
            shape = try dataset.shape()
        }
        var start = [Int](repeating: 0, count: shape.count)
        for (axisIndex, axis) in layout.axes.enumerated() {
            switch axis {
            case .records: start[axisIndex] = index; shape[axisIndex] = 1
            case .tokens: start[axisIndex] = layout.tokenStarts[index]; shape[axisIndex] = layout.tokenCounts[index]
            case .layers, .hidden: break
            }
        }
        if buffer.count == 0 { return }
        let width = layout.valueType.byteWidth
        let inLayerMajorOrder =
            layout.axes.filter { $0 != .records } == [.layers, .tokens, .hidden]
            || layout.axes.filter { $0 != .records } == [.tokens, .hidden]
        if inLayerMajorOrder && !layout.convertsFloat64 {
            try dataset.read(into: buffer, as: layout.valueType.memoryType, start: start, count: shape)
            return
        }
        if scratch.count < buffer.count { scratch = [UInt8](repeating: 0, count: buffer.count) }
        try scratch.withUnsafeMutableBytes { raw in
            let source = UnsafeMutableRawBufferPointer(rebasing: raw[0..<buffer.count])
            let memoryType: HDF5ElementType = layout.convertsFloat64 ? .float32 : layout.valueType.memoryType
            try dataset.read(into: source, as: memoryType, start: start, count: shape)
            transposeToLayerMajor(source: UnsafeRawBufferPointer(source), shape: shape, into: buffer, width: width)
        }
    }

    /// Copies a block in source axis order into [layers][tokens][hidden] order.
    private func transposeToLayerMajor(
        source: UnsafeRawBufferPointer, shape: [Int],
        into output: UnsafeMutableRawBufferPointer, width: Int
    ) {
        // Element strides of the source block for each named axis (records has extent 1).
        var stride = [HDF5Axis: Int]()
        var running = 1
        for (axisIndex, axis) in layout.axes.enumerated().reversed() {
            stride[axis] = running
            running *= shape[axisIndex]
        }
        let layers = layout.layerCount, hidden = layout.hidden
        let tokens = shape[layout.axes.firstIndex(of: .tokens)!]
        let layerStride = stride[.layers] ?? 0, tokenStride = stride[.tokens]!, hiddenStride = stride[.hidden]!
        guard let src = source.baseAddress, let dst = output.baseAddress else { return }
        var written = 0
        for layer in 0..<layers {
            for token in 0..<tokens {
                let base = layer * layerStride + token * tokenStride
                if hiddenStride == 1 {
                    memcpy(dst + written, src + base * width, hidden * width)
                    written += hidden * width
                } else {
                    for h in 0..<hidden {
                        memcpy(dst + written, src + (base + h * hiddenStride) * width, width)
                        written += width
                    }
                }
            }
        }
    }
}
