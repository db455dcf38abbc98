/// A list of the datasets in a file (path, shape, type), walked once; used for layout
/// detection and for error messages that say what the file holds.
struct HDF5Inventory {
    struct Entry {
        var path: String
        var shape: [Int]
        var type: HDF5ElementType?
        var typeSummary: String
        var strataDType: String?

        /// Elements of the dataset (saturating: a shape whose product overflows counts as Int.max).
        var elementCount: Int { HDF5Dataspace.elementCount(shape) ?? Int.max }

        var line: String {
            "\(path)  shape \(shape.map(String.init).joined(separator: "×").nonEmpty ?? "scalar")  \(typeSummary)"
                + (strataDType.map { " (strata_dtype=\($0))" } ?? "")
        }
    }

    var datasets: [Entry] = []
    /// Groups directly under the root, in natural name order.
    var rootGroups: [String] = []
    /// Whether the walk stopped early (huge files with many groups).
    var truncated = false

    static let maximumEntries = 2_000

    init(file: HDF5File) throws {
        let root = try file.root()
        for name in naturallySorted(try root.memberNames()) {
            if root.kind(of: name) == .group { rootGroups.append(name) }
        }
        try walk(root)
    }

    private mutating func walk(_ group: HDF5Group) throws {
        for name in try group.memberNames() {
            if datasets.count >= Self.maximumEntries { truncated = true; return }
            switch group.kind(of: name) {
            case .dataset:
                let dataset = try group.openDataset(name)
                datasets.append(
                    Entry(
                        path: dataset.path, shape: try dataset.shape(), type: try dataset.elementType(),
                        typeSummary: try dataset.typeSummary(),
                        strataDType: try? dataset.stringAttribute("strata_dtype")))
            case .group:
                try walk(try group.openGroup(name))
            default:
                continue
            }
        }
    }

    func entry(_ path: String) -> Entry? {
        let full = path.hasPrefix("/") ? path : "/" + path
        return datasets.first { $0.path == full }
    }

    /// Lines for an error message (at most 40, then a count).
    var lines: [String] {
        var result = datasets.prefix(40).map(\.line)
        if datasets.count > 40 || truncated { result.append("… and more (\(datasets.count)\(truncated ? "+" : "") datasets in all)") }
        if result.isEmpty { result.append("(no datasets)") }
        return result
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// Sorts names so that embedded numbers compare by value: ex2 before ex10.
func naturallySorted(_ names: [String]) -> [String] {
    names.sorted {
        naturalKey($0).lexicographicallyPrecedes(naturalKey($1)) { a, b in
            switch (a, b) {
            case let (.number(x), .number(y)): return x < y
            case let (.text(x), .text(y)): return x < y
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
    }
}

private enum NaturalPart { case number(Int), text(String) }

private func naturalKey(_ name: String) -> [NaturalPart] {
    var parts: [NaturalPart] = []
    var current = ""
    var inNumber = false
    func flush() {
        guard !current.isEmpty else { return }
        if inNumber, let value = Int(current) { parts.append(.number(value)) } else { parts.append(.text(current)) }
        current = ""
    }
    for character in name {
        let isDigit = character.isASCII && character.isNumber
        if isDigit != inNumber { flush(); inNumber = isDigit }
        current.append(character)
    }
    flush()
    return parts
}
