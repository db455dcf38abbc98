import Foundation

/// One axis of an activation array in an HDF5 file.
public enum HDF5Axis: String, Sendable, Equatable, CaseIterable {
    case records, tokens, layers, hidden

    /// Parses a `--layout` value such as `tokens,layers,hidden` or `records,layers,tokens,hidden`
    /// (also accepts the short names n, t, l, h). Every name at most once; `hidden` and `tokens`
    /// are required.
    public static func parseOrder(_ text: String) throws -> [HDF5Axis] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var axes: [HDF5Axis] = []
        for name in names {
            let axis: HDF5Axis?
            switch name {
            case "records", "record", "n", "examples", "batch": axis = .records
            case "tokens", "token", "t", "seq", "sequence": axis = .tokens
            case "layers", "layer", "l": axis = .layers
            case "hidden", "h", "d", "features": axis = .hidden
            default: axis = nil
            }
            guard let axis else {
                throw HDF5ImportError(
                    file: nil, problem: "unknown axis '\(name)' in layout '\(text)'",
                    needed: "axis names from: records, tokens, layers, hidden")
            }
            guard !axes.contains(axis) else {
                throw HDF5ImportError(
                    file: nil, problem: "axis '\(name)' appears twice in layout '\(text)'",
                    needed: "each axis at most once")
            }
            axes.append(axis)
        }
        guard axes.contains(.tokens), axes.contains(.hidden) else {
            throw HDF5ImportError(
                file: nil, problem: "layout '\(text)' lacks tokens or hidden",
                needed: "a layout naming at least tokens and hidden, e.g. tokens,layers,hidden")
        }
        return axes
    }

    static func describe(_ axes: [HDF5Axis]) -> String { axes.map(\.rawValue).joined(separator: ",") }
}
