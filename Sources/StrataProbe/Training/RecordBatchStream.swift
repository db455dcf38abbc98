import Foundation
import Strata
import StrataUtilities

/// One pass of a `RecordBatchSource`: the chunks of its `ChunkPlan`, built ahead by background
/// workers (`OrderedPipeline`, bounded in padded bytes) and handed over in order. At a step
/// boundary `state` says exactly which records of the epoch were consumed.
public final class RecordBatchStream: ResumableBatchStream {
    private let plan: ChunkPlan
    private let cursor: StreamCursor
    private let pipeline: OrderedPipeline<Batch>
    /// Steps completed when the pass started (a resumed pass starts after some).
    private let startSteps: Int
    /// Chunks taken so far.
    private var taken = 0

    init(reader: RecordBatchSource.ChunkReader, plan: ChunkPlan, cursor: StreamCursor, startSteps: Int, threads: Int, budget: Int) {
        self.plan = plan
        self.startSteps = startSteps
        self.cursor = cursor
        let chunks = plan.chunks
        let scratch = ScratchPool()
        pipeline = OrderedPipeline(
            count: chunks.count, threads: threads, budget: budget, name: "strata-batches", stoppedError: StreamError.closed,
            cost: { reader.byteCount(chunks[$0].slots) },
            work: { k in
                var buffer = scratch.take()
                defer { scratch.give(buffer) }
                return try reader.build(chunks[k].slots, endsStep: chunks[k].endsStep, scratch: &buffer)
            })
    }

    /// Records consumed so far (exact at step boundaries, i.e. after a chunk with `endsStep`).
    public var state: StreamState {
        var s = cursor.state
        if taken > 0 {
            let last = plan.chunks[taken - 1]
            s.position = last.position
            if s.stepBatch != nil { s.steps = last.steps }
        } else if s.stepBatch != nil {
            s.steps = startSteps
        }
        return s
    }

    public func next() throws -> Batch? {
        guard let batch = try pipeline.take() else { return nil }
        taken += 1
        return batch
    }

    public func close() { pipeline.stop() }
}

/// Decoding buffers for records that are not contiguous in their padded batch, one per busy worker.
private final class ScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [[Float]] = []

    func take() -> [Float] {
        lock.lock(); defer { lock.unlock() }
        return free.popLast() ?? []
    }

    func give(_ buffer: [Float]) {
        lock.lock(); free.append(buffer); lock.unlock()
    }
}
