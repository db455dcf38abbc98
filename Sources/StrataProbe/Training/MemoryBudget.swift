import Foundation
import StrataUtilities

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

    /// The smallest budget training accepts.
    public static let minimumBytes = 1 << 20

    /// A budget of `bytes` from the command line, refused below `minimumBytes`.
    public init(checking bytes: Int) throws {
        guard bytes >= Self.minimumBytes else {
            throw ProbeError.invalid(
                .memoryBudget, value: ByteSize(bytes: bytes).description,
                "expected a size of at least 1MiB such as 512MiB or 2GiB")
        }
        self.init(bytes: bytes)
    }

    /// Parses a size by `ByteSize`'s rule: "2GiB", "512MiB", "1.5G" (powers of 1024), "500MB", "2GB" (powers
    /// of 1000), "100000000" (bytes); at least 1MiB.
    public init(parsing text: String) throws {
        guard let size = try? ByteSize(parsing: text) else {
            throw ProbeError.invalid(
                .memoryBudget, value: text,
                "expected a size of at least 1MiB such as 512MiB or 2GiB (\(ByteSize.rule))")
        }
        try self.init(checking: size.bytes)
    }

    /// What is left for hidden-state data once `reservedBytes` are set aside.
    public var dataBytes: Int { max(0, bytes - reservedBytes) }
    /// Largest padded chunk of hidden states.
    public var chunkBytes: Int { dataBytes / 5 }
    /// Decoded records or finished chunks waiting in the prefetch queue.
    public var queueBytes: Int { dataBytes / 5 }

    public var description: String { String(format: "%.0fMiB", Double(bytes) / Double(1 << 20)) }
}
