import Foundation

/// Parses human byte sizes for command-line flags: a number with an optional unit, decimal
/// (`KB`, `MB`, `GB`, `TB` = powers of 1000) or binary (`KiB`, `MiB`, `GiB`, `TiB` = powers
/// of 1024); `K`, `M`, `G`, `T` alone are binary. Case-insensitive; `256MB`, `1.5GiB`, `4096`.
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        guard let number = Double(trimmed[..<numberEnd]), number >= 0 else { return nil }
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
            "k": 1024, "m": 1_048_576, "g": 1_073_741_824, "t": 1_099_511_627_776,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let bytes = number * multiplier
        guard bytes.isFinite, bytes < 9e18 else { return nil }
        return Int(bytes.rounded())
    }

    /// "1.50 MiB"-style rendering for messages.
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.2f %@", value, units[unit])
    }
}
