import ArgumentParser
import Foundation

// Values of `strata train`'s search flags, checked by the argument parser: a bad value is refused with the
// flag's usage, like the other typed flags.

/// `--c-grid`: comma-separated positive, finite numbers such as 0.01,0.1,1,10.
struct PositiveNumberList: ExpressibleByArgument, CustomStringConvertible {
    let values: [Double]
    private let text: String

    init?(argument: String) {
        var values: [Double] = []
        for item in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Double(item.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else { return nil }
            values.append(value)
        }
        guard !values.isEmpty else { return nil }
        self.values = values
        text = argument
    }

    var description: String { text }
}

/// `--tune-budget`: a positive duration, in seconds or as a number with s, m or h (600s, 10m, 1h).
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    let seconds: Double
    private let text: String

    init?(argument: String) {
        let lowered = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, seconds: Double)] = [("h", 3600), ("m", 60), ("s", 1)]
        let unit = units.first { lowered.hasSuffix($0.suffix) }
        let number = unit.map { String(lowered.dropLast($0.suffix.count)) } ?? lowered
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else { return nil }
        seconds = value * (unit?.seconds ?? 1)
        text = argument
    }

    var description: String { text }
}
