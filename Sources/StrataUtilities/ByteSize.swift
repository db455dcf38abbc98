import Foundation

/// A size in bytes as people write it on a command line, with one rule everywhere in Strata:
///
/// - `KB`, `MB`, `GB`, `TB` are powers of 1000 (1MB = 1,000,000 bytes);
/// - `KiB`, `MiB`, `GiB`, `TiB`, and the bare `K`, `M`, `G`, `T`, are powers of 1024 (1MiB = 1M = 1,048,576 bytes);
/// - `B` or no unit is bytes.
///
/// Units are case-insensitive, the number may have a fraction (`1.5GiB`) and a space may separate them.
package struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var bytes: Int

    /// The rule above in one sentence, for `--help` texts and error messages.
    package static let rule =
        "KB/MB/GB/TB are powers of 1000 (1MB = 1,000,000 bytes); KiB/MiB/GiB/TiB and bare K/M/G/T are powers of 1024 (1MiB = 1,048,576 bytes)"

    package init(bytes: Int) { self.bytes = bytes }

    /// Why a text is not a size.
    package static func parseError(_ text: String, _ reason: String) -> TextParseError {
        TextParseError(text: text, expected: "a size", reason: reason)
    }

    private static let multipliers: [String: Double] = [
        "": 1, "b": 1,
        "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
        "k": 1024, "m": 1_048_576, "g": 1_073_741_824, "t": 1_099_511_627_776,
        "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776
    ]

    /// Parses `4096`, `64KiB`, `512MB`, `1.5G`, `2 GiB` (rounding a fractional byte count to the nearest byte).
    package init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        guard let number = Double(trimmed[..<numberEnd]), number.isFinite else {
            throw Self.parseError(text, "expected a non-negative number with an optional unit, such as 512MiB or 2GB")
        }
        guard let multiplier = Self.multipliers[unit] else {
            throw Self.parseError(text, "unknown unit '\(unit)' (\(Self.rule))")
        }
        let value = number * multiplier
        guard value < 9e18 else { throw Self.parseError(text, "larger than 8 EiB") }
        bytes = Int(value.rounded())
    }

    /// The shortest exact spelling: `256MiB`, `512MB`, `1GiB`, `1000B`… (parses back to the same size): the unit
    /// that divides the size exactly with the smallest quotient, binary before decimal on a tie.
    package var description: String {
        let units: [(String, Int)] = [
            ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
            ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000)
        ]
        let exact = units.filter { bytes != 0 && bytes % $0.1 == 0 }
        guard let best = exact.min(by: { bytes / $0.1 < bytes / $1.1 }) else { return "\(bytes)B" }
        return "\(bytes / best.1)\(best.0)"
    }

    /// "1.50 MiB"-style rendering for messages (binary units).
    package static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.2f %@", value, units[unit])
    }

    package static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }
}
