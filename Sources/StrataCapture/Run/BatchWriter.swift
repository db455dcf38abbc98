import Foundation

/// Writes captured batches to the output in order, either inline or on a background thread that
/// overlaps compression and I/O of batch k with the forward pass of batch k+1 (a bounded queue of
/// `capacity` waiting batches, so memory stays at a few batches).
final class BatchWriter {
    private let output: CaptureOutput?
    private let overlap: Bool
    private let capacity: Int
    private let onWritten: (_ records: Int, _ tokens: Int) -> Void
    private let condition = NSCondition()
    private var queue: [CapturedBatch] = []
    private var closing = false
    private var failure: Error?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// `output` nil = dry run: batches are dropped (still counted as written).
    init(output: CaptureOutput?, overlap: Bool, capacity: Int = 1, onWritten: @escaping (Int, Int) -> Void) {
        self.output = output
        self.overlap = overlap
        self.capacity = max(1, capacity)
        self.onWritten = onWritten
        if overlap {
            let thread = Thread { [unowned self] in self.drain() }
            thread.name = "strata-capture-writer"
            thread.stackSize = 4 << 20
            self.thread = thread
            thread.start()
        }
    }

    /// Queues (or, without overlap, writes) a batch. Blocks while the queue is full; rethrows a
    /// failure of the writer thread.
    func submit(_ batch: CapturedBatch) throws {
        guard overlap else {
            try write(batch)
            return
        }
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(batch)
        condition.broadcast()
    }

    /// Waits until every queued batch is written; rethrows the writer thread's failure.
    func finish() throws {
        guard overlap else { return }
        condition.lock()
        closing = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
        if let failure { throw failure }
    }

    private func write(_ batch: CapturedBatch) throws {
        var records = 0, tokens = 0
        for (i, record) in batch.records.enumerated() {
            guard let record else { continue }
            try output?.append(record, values: batch.values(i))
            records += 1
            tokens += batch.tokenCounts[i]
        }
        onWritten(records, tokens)
    }

    private func drain() {
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty || failure != nil {
                condition.unlock()
                break
            }
            let batch = queue[0]
            condition.unlock()
            do {
                try write(batch)
                condition.lock()
                queue.removeFirst()
                condition.broadcast()
                condition.unlock()
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                condition.broadcast()
                condition.unlock()
                break
            }
        }
        finished.signal()
    }
}
