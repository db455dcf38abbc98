import Foundation

/// `--memory-budget`: a bound on what training holds, and how it is split.
///
/// First the run's `TrainingFootprint` (parameters, gradients, optimizer state, worker workspaces)
/// is reserved (`reservedBytes`); the rest, `dataBytes`, holds hidden-state data. Of that, resident
/// at once: the chunk being trained on, the prefetch queue, the chunk being assembled and the
/// records it is assembled from (or one decoded record), each at most a fifth (`chunkBytes`; the queue
/// holds at most `queueBytes` of decoded records or finished chunks, but always at least one). The
/// last fifth covers the epoch cache (3/20, when the queue shrinks to 1/20) or the feature cache.
/// Peak RSS ≤ `bytes` + `processOverheadBytes` (spec/PROBES.md §3, benchmarks/probes.md).
public struct MemoryBudget: Sendable, Equatable, CustomStringConvertible {
    public var bytes: Int
    /// Held for the whole run besides hidden-state data (a `TrainingFootprint`).
    public var reservedBytes: Int

    /// What the budget does not cover: the process's fixed remainder (executable and libraries,
    /// Swift and Foundation runtime, thread stacks, OpenBLAS's buffers, the record-entry and decoder
    /// caches, allocator slack). Measured: 43–57 MiB over the budget at most (benchmarks/probes.md).
    public static let processOverheadBytes = 64 << 20

    public init(bytes: Int, reservedBytes: Int = 0) {
        self.bytes = bytes
        self.reservedBytes = reservedBytes
    }

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
        reservedBytes = 0
    }

    /// What is left for hidden-state data once `reservedBytes` are set aside.
    public var dataBytes: Int { max(0, bytes - reservedBytes) }
    /// Largest padded chunk of hidden states.
    public var chunkBytes: Int { dataBytes / 5 }
    /// Decoded records or finished chunks waiting in the prefetch queue.
    public var queueBytes: Int { dataBytes / 5 }

    public var description: String { String(format: "%.0fMB", Double(bytes) / Double(1 << 20)) }
}
