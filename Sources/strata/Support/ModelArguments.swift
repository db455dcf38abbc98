import Foundation
import StrataModel

/// Resolves a `--model` argument: an existing file path, or a cached model name such as `smollm2`.
func resolveModelPath(_ model: String) -> String {
    FileManager.default.fileExists(atPath: model) ? model : (ModelCache.existingPath(for: model) ?? model)
}

/// A problem with command-line values, phrased for the user.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parses comma-separated integers (`"1,2,3"`, spaces allowed), naming `flag` in errors.
func parseIntegerList(_ text: String, flag: String) throws -> [Int] {
    try text.split(separator: ",").map { part in
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard let value = Int(trimmed) else { throw UsageError("\(flag): '\(trimmed)' is not an integer") }
        return value
    }
}
