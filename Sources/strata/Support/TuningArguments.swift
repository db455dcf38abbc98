import ArgumentParser
import Foundation

// Values of `strata train`'s search flags, parsed with an error that names the flag.

/// `--c-grid`: comma-separated positive numbers.
func parseCGrid(_ text: String) throws -> [Double] {
    let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 && $0!.isFinite }) else {
        throw ValidationError("--c-grid must be comma-separated positive numbers such as 0.01,0.1,1,10 (got '\(text)')")
    }
    return values.map { $0! }
}

/// `--tune-budget`: seconds, or a number with s, m or h.
func parseDuration(_ text: String) throws -> Double {
    let t = text.trimmingCharacters(in: .whitespaces).lowercased()
    let units: [(String, Double)] = [("h", 3600), ("m", 60), ("s", 1)]
    var number = t, scale = 1.0
    for (suffix, factor) in units where t.hasSuffix(suffix) { number = String(t.dropLast()); scale = factor; break }
    guard let v = Double(number), v > 0, v.isFinite else {
        throw ValidationError("--tune-budget must be a positive duration such as 600s, 10m or 1h (got '\(text)')")
    }
    return v * scale
}
