import Foundation
import StrataUtilities

/// Writes captured batches to the output in order, either inline or on a background thread that
/// overlaps compression and I/O of batch k with the forward pass of batch k+1.
///
/// The background writer is a pushed `OrderedPipeline` with one thread (so batches are written one
/// after another, in submission order) and a budget of `capacity` batches: `submit` blocks while
/// `capacity` batches are waiting or being written, so memory stays at a few batches. Its one failure
/// rule applies: a failed write fails the writer, no later batch is written, and the next `submit` or
/// `finish` rethrows the error.
final class BatchWriter {
    private let output: CaptureOutput?
    private let onWritten: (_ records: Int, _ tokens: Int) -> Void
    /// The background writer; nil when writing inline.
    private let pipeline: OrderedPipeline<Void>?

    /// `output` nil = dry run: batches are dropped (still counted as written).
    init(output: CaptureOutput?, overlap: Bool, capacity: Int = 1, onWritten: @escaping (Int, Int) -> Void) {
        self.output = output
        self.onWritten = onWritten
        pipeline =
            overlap
            ? OrderedPipeline(
                threads: 1, budget: max(1, capacity), name: "strata-capture-writer", stoppedError: BatchWriterStopped(),
                outputs: .dropped)
            : nil
    }

    /// Queues (or, without overlap, writes) a batch. Blocks while the queue is full; rethrows a
    /// failure of the writer thread.
    func submit(_ batch: CapturedBatch) throws {
        guard let pipeline else { return try Self.write(batch, to: output, onWritten: onWritten) }
        let output = self.output, onWritten = self.onWritten
        try pipeline.submit(cost: 1) { try Self.write(batch, to: output, onWritten: onWritten) }
    }

    /// Waits until every queued batch is written and the writer thread has exited; rethrows its failure.
    func finish() throws {
        try pipeline?.finish()
    }

    private static func write(
        _ batch: CapturedBatch, to output: CaptureOutput?, onWritten: (_ records: Int, _ tokens: Int) -> Void
    ) throws {
        var records = 0, tokens = 0
        for (i, record) in batch.records.enumerated() {
            guard let record else { continue }
            try output?.append(record, values: batch.values(i))
            records += 1
            tokens += batch.tokenCounts[i]
        }
        onWritten(records, tokens)
    }
}

/// What the writer's pipeline throws once stopped (never reaches a caller: it is only stopped by
/// `finish()` or when the writer goes away).
private struct BatchWriterStopped: Error, CustomStringConvertible {
    var description: String { "the capture writer was stopped" }
}
