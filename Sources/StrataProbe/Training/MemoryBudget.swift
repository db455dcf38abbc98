import Foundation

/// A bound on the bytes training may hold in hidden-state batches, and how it is split.
///
/// Resident at once: the chunk being trained on, the prefetch queue, the chunk being assembled and
/// one decoded record. Each gets a fifth of the budget (`chunkBytes` each; the queue holds at most
/// `queueBytes` of finished chunks, but always at least one). The remaining fifth covers decoder
/// and probe workspaces. Peak RSS ≈ budget + a fixed overhead (runtime, OpenBLAS, parameters).
public struct MemoryBudget: Sendable, Equatable, CustomStringConvertible {
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    /// Parses "2GB", "512MB", "1.5G", "64MiB", "100000" (bytes). Units are powers of 1024.
    public init(parsing text: String) throws {
        let s = text.trimmingCharacters(in: .whitespaces).uppercased()
        let g = 1_073_741_824.0, m = 1_048_576.0, k = 1024.0
        let units: [(String, Double)] = [("GIB", g), ("GB", g), ("G", g), ("MIB", m), ("MB", m), ("M", m),
                                         ("KIB", k), ("KB", k), ("K", k), ("B", 1)]
        var number = s, scale = 1.0
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            number = String(s.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            scale = factor
            break
        }
        guard let v = Double(number), v > 0, v * scale >= m else {
            throw ProbeError.invalidOption(name: "--memory-budget", value: text, reason: "expected a size of at least 1MB such as 512MB or 2GB")
        }
        bytes = Int(v * scale)
    }

    /// Largest padded chunk of hidden states.
    public var chunkBytes: Int { bytes / 5 }
    /// Finished chunks waiting in the prefetch queue.
    public var queueBytes: Int { bytes / 5 }

    public var description: String { String(format: "%.0fMB", Double(bytes) / Double(1 << 20)) }
}

/// Peak and current resident memory of this process (Linux /proc/self/status).
public enum ProcessMemory {
    /// VmHWM (peak resident set) in bytes, nil where unavailable.
    public static func peakResidentBytes() -> Int? { field("VmHWM:") }
    /// VmRSS in bytes.
    public static func residentBytes() -> Int? { field("VmRSS:") }

    private static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }
}
