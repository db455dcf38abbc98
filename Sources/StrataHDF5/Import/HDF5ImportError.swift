/// An HDF5 file that Strata cannot turn into records: says what is wrong, lists what the file
/// holds, and what would be needed to import it.
public struct HDF5ImportError: Error, CustomStringConvertible, Sendable {
    public var file: String?
    public var problem: String
    /// One line per dataset found: path, shape, type.
    public var datasetsFound: [String]
    public var needed: String

    public init(file: String?, problem: String, datasetsFound: [String] = [], needed: String) {
        self.file = file
        self.problem = problem
        self.datasetsFound = datasetsFound
        self.needed = needed
    }

    public var description: String {
        var text = "cannot import \(file ?? "HDF5 input"): \(problem)"
        if !datasetsFound.isEmpty {
            text += "\n  datasets found:\n" + datasetsFound.map { "    \($0)" }.joined(separator: "\n")
        }
        text += "\n  needed: \(needed)"
        return text
    }
}
