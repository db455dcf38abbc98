/// Finds how an HDF5 file lays out its records — ragged concatenation with offsets or lengths,
/// a padded array with lengths or a mask, or one group per example — from the user's options
/// where given and from conventional names, shapes and Strata's own attributes otherwise.
public enum HDF5LayoutDetector {
    static let dataNames = [
        "hidden_states", "hidden", "activations", "acts", "states", "residuals", "resid",
        "features", "embeddings", "data", "x"
    ]
    static let offsetNames = ["offsets", "record_offsets", "token_offsets", "seq_offsets", "cu_seqlens", "starts"]
    static let lengthNames = [
        "lengths", "length", "seq_lens", "seq_lengths", "seq_len", "n_tokens", "num_tokens",
        "token_counts", "lens"
    ]
    static let maskNames = ["attention_mask", "mask", "masks"]
    static let labelNames = ["labels", "label", "y", "targets", "target"]
    static let tokenIDNames = ["token_ids", "input_ids", "tokens"]
    static let idNames = ["ids", "id", "record_ids", "example_ids", "keys"]
    static let textNames = ["texts", "text", "sentences"]

    /// What every error message says the importer needs.
    static let neededLayouts = """
        one of: (a) a token-concatenated array [tokens, layers, hidden] (or [layers, tokens, hidden], \
        [tokens, hidden]) plus offsets (N+1) or lengths (N) — --data NAME --offsets NAME | --lengths NAME; \
        (b) a padded array [N, T, L, H] (other orders via --layout) plus lengths or an attention mask — \
        --lengths NAME | --mask NAME; (c) one group per example, each with a [T, L, H] or [T, H] dataset. \
        Activations must be float16, float32, bf16 stored as uint16 (attribute strata_dtype="bf16" or \
        --bf16), or float64 with --allow-float64
        """

    public static func detect(file: HDF5File, options: HDF5ImportOptions = .init()) throws -> HDF5SourceLayout {
        let inventory = try HDF5Inventory(file: file)
        let context = Context(file: file, inventory: inventory, options: options)
        return try context.detect()
    }

    /// Detection state: the file, what it holds, and the options.
    struct Context {
        let file: HDF5File
        let inventory: HDF5Inventory
        let options: HDF5ImportOptions

        func failure(_ problem: String, needed: String = HDF5LayoutDetector.neededLayouts) -> HDF5ImportError {
            HDF5ImportError(file: file.path, problem: problem, datasetsFound: inventory.lines, needed: needed)
        }

        /// A root-level dataset with one of `names` (case-insensitive), or the explicit one.
        func rootDataset(explicit: String?, names: [String], role: String) throws -> HDF5Inventory.Entry? {
            if let explicit {
                guard let entry = inventory.entry(explicit) else {
                    throw failure("the \(role) dataset '\(explicit)' does not exist")
                }
                return entry
            }
            for name in names {
                if let entry = inventory.datasets.first(where: { $0.path.lowercased() == "/" + name && !options.isIgnored($0.path) }) {
                    return entry
                }
            }
            return nil
        }

        /// What a user can do about an auto-detected side dataset that does not fit.
        func remedy(_ entry: HDF5Inventory.Entry, option: String?) -> String {
            (option.map { "\($0) NAME to read another dataset, or " } ?? "") + "--ignore \(entry.path) to import without it"
        }

        func valueType(of entry: HDF5Inventory.Entry) throws -> (HDF5ValueType, Bool) {
            switch entry.type {
            case .float32?: return (.f32, false)
            case .float16?: return (.f16, false)
            case .uint16? where entry.strataDType == "bf16" || options.uint16IsBF16: return (.bf16, false)
            case .float64? where options.allowFloat64Downcast: return (.f32, true)
            case .float64?:
                throw failure(
                    "\(entry.path) holds float64, which Strata does not store",
                    needed: "float32/float16/bf16 activations, or --allow-float64 to convert to float32 (lossy)")
            case .uint16?:
                throw failure(
                    "\(entry.path) holds uint16 without the attribute strata_dtype=\"bf16\"",
                    needed: "--bf16 if these are bfloat16 bit patterns")
            default:
                throw failure("\(entry.path) holds \(entry.typeSummary), not activations")
            }
        }

        func isActivationCandidate(_ entry: HDF5Inventory.Entry) -> Bool {
            guard entry.shape.count >= 2 else { return false }
            switch entry.type {
            case .float16?, .float32?, .float64?: return true
            case .uint16?: return entry.strataDType == "bf16" || options.uint16IsBF16
            default: return false
            }
        }

        func readIntegers(_ path: String) throws -> [Int] {
            try file.root().openDataset(path).readIntegers().map { Int($0) }
        }

        func detect() throws -> HDF5SourceLayout {
            let rootLevel = inventory.datasets.filter { $0.path.dropFirst().contains("/") == false }
            var dataEntry: HDF5Inventory.Entry?
            if let name = options.dataName {
                // An explicit path names one array (possibly nested); a name that is not a dataset
                // path may still be the per-example dataset of a group-per-example file.
                dataEntry = inventory.entry(name)
            } else {
                let candidates = rootLevel.filter(isActivationCandidate)
                dataEntry =
                    HDF5LayoutDetector.dataNames.lazy.compactMap { name in
                        candidates.first { $0.path.lowercased() == "/" + name }
                    }.first ?? candidates.max { $0.elementCount < $1.elementCount }
            }
            if let dataEntry { return try detectSingleArray(dataEntry) }
            if !inventory.rootGroups.isEmpty { return try detectGroups() }
            if let name = options.dataName {
                throw failure("no dataset named '\(name)'")
            }
            throw failure("no activation array (a float dataset with 2–4 dimensions) and no per-example groups")
        }

        // MARK: One array (ragged or padded)

        func detectSingleArray(_ data: HDF5Inventory.Entry) throws -> HDF5SourceLayout {
            let (valueType, converts) = try valueType(of: data)
            let shape = data.shape
            guard (2...4).contains(shape.count) else {
                throw failure("\(data.path) has \(shape.count) dimensions; expected 2 to 4")
            }
            var boundaries = options.boundaries
            if boundaries == nil {
                if let entry = try rootDataset(explicit: nil, names: HDF5LayoutDetector.offsetNames, role: "offsets") {
                    boundaries = .offsets(entry.path)
                } else if let entry = try rootDataset(explicit: nil, names: HDF5LayoutDetector.lengthNames, role: "lengths") {
                    boundaries = .lengths(entry.path)
                } else if let entry = try rootDataset(explicit: nil, names: HDF5LayoutDetector.maskNames, role: "mask") {
                    boundaries = .mask(entry.path)
                }
            }
            let declaredAxes = try options.layout ?? storedAxes(data.path)
            if let declaredAxes, declaredAxes.count != shape.count {
                throw failure(
                    "layout [\(HDF5Axis.describe(declaredAxes))] has \(declaredAxes.count) axes but \(data.path) has \(shape.count)")
            }

            var starts: [Int] = [], counts: [Int] = []
            var axes: [HDF5Axis]
            var arrangement: HDF5SourceLayout.Arrangement
            var described: String
            switch boundaries {
            case .offsets(let name)?:
                let offsets = try readIntegers(try requireEntry(name, role: "offsets").path)
                axes = try declaredAxes ?? raggedAxes(shape: shape, total: offsets.last ?? 0, data: data.path)
                try requireNoRecordsAxis(axes, data: data.path)
                let total = shape[axes.firstIndex(of: .tokens)!]
                (starts, counts) = try recordsFromOffsets(offsets, total: total, name: name)
                arrangement = .ragged
                described = "offsets \(name)"
            case .lengths(let name)?:
                let lengths = try readIntegers(try requireEntry(name, role: "lengths").path)
                guard lengths.allSatisfy({ $0 >= 0 }) else { throw failure("\(name) holds a negative length") }
                let total = lengths.reduce(0, +)
                if let declaredAxes {
                    axes = declaredAxes
                } else if shape.count == 4 || !shape.contains(total) {
                    axes = try paddedAxes(
                        shape: shape, recordCount: lengths.count, maxTokens: lengths.max() ?? 0,
                        maskTokens: nil, data: data.path)
                } else {
                    axes = try raggedAxes(shape: shape, total: total, data: data.path)
                }
                if axes.contains(.records) {
                    let tokenAxis = shape[axes.firstIndex(of: .tokens)!]
                    guard lengths.allSatisfy({ $0 <= tokenAxis }) else {
                        throw failure("a length in \(name) exceeds the token axis (\(tokenAxis)) of \(data.path)")
                    }
                    starts = [Int](repeating: 0, count: lengths.count)
                    arrangement = .padded
                } else {
                    let tokenAxis = shape[axes.firstIndex(of: .tokens)!]
                    guard total == tokenAxis else {
                        throw failure("the lengths in \(name) sum to \(total) but \(data.path) has \(tokenAxis) tokens")
                    }
                    var position = 0
                    starts = lengths.map { length in
                        defer { position += length }; return position
                    }
                    arrangement = .ragged
                }
                counts = lengths
                described = "lengths \(name)"
            case .mask(let name)?:
                let maskEntry = try requireEntry(name, role: "mask")
                guard maskEntry.shape.count == 2 else {
                    throw failure("the mask \(name) has shape \(maskEntry.shape); expected [records, tokens]")
                }
                axes =
                    try declaredAxes
                    ?? paddedAxes(
                        shape: shape, recordCount: maskEntry.shape[0], maxTokens: 0,
                        maskTokens: maskEntry.shape[1], data: data.path)
                (starts, counts) = try recordsFromMask(
                    try readIntegers(maskEntry.path), rows: maskEntry.shape[0],
                    columns: maskEntry.shape[1], name: name)
                guard axes.contains(.records), shape[axes.firstIndex(of: .tokens)!] == maskEntry.shape[1] else {
                    throw failure(
                        "the mask \(name) \(maskEntry.shape) does not match \(data.path) \(shape) as [\(HDF5Axis.describe(axes))]")
                }
                arrangement = .padded
                described = "mask \(name)"
            case nil:
                guard shape.count == 4 || declaredAxes?.contains(.records) == true else {
                    throw failure("found \(data.path) \(shape) but nothing that delimits its records (no offsets, lengths or mask)")
                }
                axes =
                    try declaredAxes
                    ?? paddedAxes(
                        shape: shape, recordCount: shape[0], maxTokens: 0, maskTokens: nil,
                        data: data.path)
                let tokens = shape[axes.firstIndex(of: .tokens)!]
                let n = shape[axes.firstIndex(of: .records)!]
                starts = [Int](repeating: 0, count: n)
                counts = [Int](repeating: tokens, count: n)
                arrangement = .padded
                described = "fixed length \(tokens) (no lengths or mask)"
            }
            if arrangement == .padded {
                guard axes.contains(.records), shape[axes.firstIndex(of: .records)!] == counts.count else {
                    throw failure("\(data.path) \(shape) as [\(HDF5Axis.describe(axes))] does not have \(counts.count) records")
                }
            }
            let recordCount = counts.count
            let layout = HDF5SourceLayout(
                arrangement: arrangement, dataName: data.path, axes: axes, valueType: valueType, convertsFloat64: converts,
                recordCount: recordCount, layerCount: axes.firstIndex(of: .layers).map { shape[$0] } ?? 1,
                hidden: shape[axes.firstIndex(of: .hidden)!], tokenStarts: starts, tokenCounts: counts,
                boundaries: described,
                labelsName: try sideDataset(
                    explicit: options.labelsName, names: HDF5LayoutDetector.labelNames,
                    role: "labels", option: "--labels", firstDimension: recordCount, activations: data.path),
                tokenIDsName: try tokenIDs(arrangement: arrangement, counts: counts, shape: shape, axes: axes, activations: data.path),
                idsName: try sideDataset(
                    explicit: nil, names: HDF5LayoutDetector.idNames, role: "ids", option: nil,
                    firstDimension: recordCount, activations: data.path),
                textsName: try sideDataset(
                    explicit: nil, names: HDF5LayoutDetector.textNames, role: "texts", option: nil,
                    firstDimension: recordCount, activations: data.path))
            return layout
        }

        func requireEntry(_ name: String, role: String) throws -> HDF5Inventory.Entry {
            guard let entry = inventory.entry(name) else { throw failure("the \(role) dataset '\(name)' does not exist") }
            return entry
        }

        func requireNoRecordsAxis(_ axes: [HDF5Axis], data: String) throws {
            if axes.contains(.records) {
                throw failure("offsets delimit a token-concatenated array, but the layout of \(data) has a records axis")
            }
        }

        /// The axis order Strata's exporter records on the activation dataset, if any.
        func storedAxes(_ path: String) throws -> [HDF5Axis]? {
            guard let text = try? file.root().openDataset(path).stringAttribute("strata_axes") else { return nil }
            return try HDF5Axis.parseOrder(text)
        }

        /// [tokens, hidden], or for 3-D: the axis of length `total` is tokens, hidden is the last other axis.
        func raggedAxes(shape: [Int], total: Int, data: String) throws -> [HDF5Axis] {
            if shape.count == 2 {
                guard shape[0] == total else {
                    throw failure("\(data) \(shape) has no token axis of length \(total) (from the record boundaries)")
                }
                return [.tokens, .hidden]
            }
            guard shape.count == 3 else {
                throw failure(
                    "\(data) \(shape) has \(shape.count) dimensions; a token-concatenated array has 2 or 3",
                    needed: "--layout naming its axes, or lengths/mask for a padded array")
            }
            let matches = (0..<2).filter { shape[$0] == total }
            guard matches.count == 1 else {
                throw failure(
                    matches.isEmpty
                        ? "no axis of \(data) \(shape) has the total token count \(total)"
                        : "both leading axes of \(data) \(shape) equal the token count \(total)",
                    needed: "--layout tokens,layers,hidden or --layout layers,tokens,hidden")
            }
            return matches[0] == 0 ? [.tokens, .layers, .hidden] : [.layers, .tokens, .hidden]
        }

        /// records first; hidden last; tokens is the axis the mask or the longest record fits.
        func paddedAxes(shape: [Int], recordCount: Int, maxTokens: Int, maskTokens: Int?, data: String) throws -> [HDF5Axis] {
            guard shape[0] == recordCount else {
                throw failure(
                    "the first axis of \(data) \(shape) is not the \(recordCount) records",
                    needed: "--layout naming the axes, e.g. tokens,records,layers,hidden")
            }
            if shape.count == 3 { return [.records, .tokens, .hidden] }
            guard shape.count == 4 else {
                throw failure("\(data) \(shape) cannot be a padded [records, tokens, layers, hidden] array")
            }
            if let maskTokens {
                if shape[1] == maskTokens { return [.records, .tokens, .layers, .hidden] }
                if shape[2] == maskTokens { return [.records, .layers, .tokens, .hidden] }
                throw failure("no axis of \(data) \(shape) matches the mask's \(maskTokens) tokens")
            }
            if shape[1] >= maxTokens { return [.records, .tokens, .layers, .hidden] }
            if shape[2] >= maxTokens { return [.records, .layers, .tokens, .hidden] }
            throw failure("no axis of \(data) \(shape) holds the longest record (\(maxTokens) tokens)")
        }

        func recordsFromOffsets(_ offsets: [Int], total: Int, name: String) throws -> ([Int], [Int]) {
            guard !offsets.isEmpty, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
                offsets.first! >= 0, offsets.last! <= total
            else {
                throw failure("the offsets in \(name) are not non-decreasing positions within 0…\(total)")
            }
            // N+1 cumulative offsets (0 … total) are the convention; N start offsets are accepted too.
            let bounds = (offsets.first == 0 && offsets.last == total && offsets.count > 1) ? offsets : offsets + [total]
            let starts = Array(bounds.dropLast())
            let counts = zip(bounds.dropFirst(), bounds).map { $0 - $1 }
            return (starts, counts)
        }

        func recordsFromMask(_ mask: [Int], rows: Int, columns: Int, name: String) throws -> ([Int], [Int]) {
            var starts: [Int] = [], counts: [Int] = []
            starts.reserveCapacity(rows)
            counts.reserveCapacity(rows)
            for row in 0..<rows {
                let values = mask[row * columns..<(row + 1) * columns]
                guard let first = values.firstIndex(where: { $0 != 0 }) else {
                    starts.append(0); counts.append(0); continue
                }
                let last = values.lastIndex(where: { $0 != 0 })!
                guard values[first...last].allSatisfy({ $0 != 0 }) else {
                    throw failure("row \(row) of the mask \(name) has gaps; each record's tokens must be contiguous")
                }
                starts.append(first - row * columns)
                counts.append(last - first + 1)
            }
            return (starts, counts)
        }

        /// A root dataset with one entry (or one row) per record: labels, ids, texts. One that was
        /// found but does not fit — given explicitly or detected by its name — is an error naming it
        /// and the mismatch, never silently left out.
        func sideDataset(
            explicit: String?, names: [String], role: String, option: String?,
            firstDimension: Int, activations: String
        ) throws -> String? {
            // (The activation array itself may carry one of these names, e.g. "x" or "tokens".)
            guard let entry = try rootDataset(explicit: explicit, names: names, role: role), entry.path != activations else { return nil }
            guard entry.shape.first == firstDimension || (entry.shape.isEmpty && firstDimension == 1) else {
                let what = explicit == nil ? "the \(role) dataset \(entry.path) (found by its name)" : "the \(role) dataset \(entry.path)"
                throw failure(
                    "\(what) has shape \(entry.shape): its first axis has \(entry.shape.first ?? 1) entries, "
                        + "but \(firstDimension) records were found",
                    needed: "one \(role) entry per record; " + remedy(entry, option: option))
            }
            return entry.path
        }

        /// Token ids: 1-D concatenated [T] (ragged) or [N, T] (padded), matching the record layout.
        /// A token ids dataset that does not (found by name or given explicitly) is an error.
        func tokenIDs(
            arrangement: HDF5SourceLayout.Arrangement, counts: [Int], shape: [Int],
            axes: [HDF5Axis], activations: String
        ) throws -> String? {
            guard
                let entry = try rootDataset(
                    explicit: options.tokenIDsName, names: HDF5LayoutDetector.tokenIDNames,
                    role: "token ids"), entry.path != activations
            else { return nil }
            let what =
                options.tokenIDsName == nil
                ? "the token ids dataset \(entry.path) (found by its name)" : "the token ids dataset \(entry.path)"
            guard entry.type?.isInteger == true else {
                throw failure(
                    "\(what) holds \(entry.typeSummary), not integers",
                    needed: "integer token ids; " + remedy(entry, option: "--token-ids"))
            }
            let tokenAxis = shape[axes.firstIndex(of: .tokens)!]
            let expected = arrangement == .ragged ? [tokenAxis] : [counts.count, tokenAxis]
            guard entry.shape == expected else {
                throw failure(
                    "\(what) has shape \(entry.shape), but the activations need \(expected) "
                        + (arrangement == .ragged ? "(one id per token, \(tokenAxis) tokens)" : "(records × padded tokens)"),
                    needed: "token ids shaped like the activations' tokens; " + remedy(entry, option: "--token-ids"))
            }
            return entry.path
        }

        // MARK: One group per example

        func detectGroups() throws -> HDF5SourceLayout {
            let root = try file.root()
            let groups = inventory.rootGroups
            let first = try root.openGroup(groups[0])
            let dataName: String
            if let explicit = options.dataName {
                dataName = explicit
            } else {
                let members = inventory.datasets.filter { $0.path.hasPrefix(first.path + "/") && isActivationCandidate($0) }
                guard
                    let chosen = HDF5LayoutDetector.dataNames.lazy.compactMap({ name in
                        members.first { $0.path.lowercased().hasSuffix("/" + name) }
                    }).first ?? members.max(by: { $0.elementCount < $1.elementCount })
                else {
                    throw failure("group \(first.path) holds no activation dataset (float, 2 or 3 dimensions)")
                }
                dataName = String(chosen.path.dropFirst(first.path.count + 1))
            }
            guard let firstEntry = inventory.entry(first.path + "/" + dataName) else {
                throw failure("group \(first.path) has no dataset '\(dataName)'")
            }
            let (valueType, converts) = try valueType(of: firstEntry)
            var shapes: [[Int]] = []
            var tokenIDCounts: [Int?] = []
            for name in groups {
                let group = try root.openGroup(name)
                guard group.kind(of: dataName) == .dataset else {
                    throw failure("group \(group.path) has no dataset '\(dataName)' (every example group needs one)")
                }
                shapes.append(try group.openDataset(dataName).shape())
                let tokenName = options.tokenIDsName ?? HDF5LayoutDetector.tokenIDNames.first { group.kind(of: $0) == .dataset }
                tokenIDCounts.append(try tokenName.map { HDF5Dataspace.elementCount(try group.openDataset($0).shape()) ?? Int.max })
            }
            let rank = firstEntry.shape.count
            guard (2...3).contains(rank), shapes.allSatisfy({ $0.count == rank }) else {
                throw failure("the '\(dataName)' datasets of the example groups must all have 2 or 3 dimensions")
            }
            var axes: [HDF5Axis]
            if let declared = try options.layout ?? storedAxes(firstEntry.path) {
                guard declared.count == rank, !declared.contains(.records) else {
                    throw failure("layout [\(HDF5Axis.describe(declared))] does not fit \(firstEntry.path) \(firstEntry.shape)")
                }
                axes = declared
            } else if rank == 2 {
                axes = [.tokens, .hidden]
            } else if let counts = tokenIDCounts as? [Int], counts.count == shapes.count {
                if zip(shapes, counts).allSatisfy({ $0[0] == $1 }) && !zip(shapes, counts).allSatisfy({ $0[1] == $1 }) {
                    axes = [.tokens, .layers, .hidden]
                } else if zip(shapes, counts).allSatisfy({ $0[1] == $1 }) && !zip(shapes, counts).allSatisfy({ $0[0] == $1 }) {
                    axes = [.layers, .tokens, .hidden]
                } else {
                    throw failure(
                        "cannot tell the token axis of '\(dataName)' from the token ids",
                        needed: "--layout tokens,layers,hidden or --layout layers,tokens,hidden")
                }
            } else {
                let varies0 = Set(shapes.map { $0[0] }).count > 1, varies1 = Set(shapes.map { $0[1] }).count > 1
                switch (varies0, varies1) {
                case (true, false): axes = [.tokens, .layers, .hidden]
                case (false, true): axes = [.layers, .tokens, .hidden]
                default:
                    throw failure(
                        "cannot tell which axis of '\(dataName)' \(firstEntry.shape) is tokens",
                        needed: "--layout tokens,layers,hidden or --layout layers,tokens,hidden")
                }
            }
            let tokenIndex = axes.firstIndex(of: .tokens)!, hiddenIndex = axes.firstIndex(of: .hidden)!
            let layerIndex = axes.firstIndex(of: .layers)
            let hidden = firstEntry.shape[hiddenIndex], layers = layerIndex.map { firstEntry.shape[$0] } ?? 1
            for (name, shape) in zip(groups, shapes) {
                guard shape[hiddenIndex] == hidden, (layerIndex.map { shape[$0] } ?? 1) == layers else {
                    throw failure(
                        "/\(name)/\(dataName) \(shape) disagrees with the first example \(firstEntry.shape) in layers or hidden size")
                }
            }
            return HDF5SourceLayout(
                arrangement: .groupPerExample(groups: groups), dataName: dataName, axes: axes, valueType: valueType,
                convertsFloat64: converts, recordCount: groups.count, layerCount: layers, hidden: hidden,
                tokenStarts: [Int](repeating: 0, count: groups.count), tokenCounts: shapes.map { $0[tokenIndex] },
                boundaries: "one group per example",
                labelsName: options.labelsName, tokenIDsName: options.tokenIDsName, idsName: nil, textsName: nil)
        }
    }
}
