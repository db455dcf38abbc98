import Foundation

/// Background readers for a `StrataStream`: `threads` workers read and decode the records of
/// an epoch plan ahead of the consumer, and hand them over strictly in plan order.
///
/// Memory bound: a worker reserves a record's decoded size before decoding it, and
/// reservations are granted in plan order only while the reserved total stays within
/// `budget` (a record larger than the whole budget is granted alone, when nothing else is
/// reserved). Bytes are released when the consumer takes the record. So the prefetched data
/// never exceeds max(budget, largest record), and since the earliest undelivered record is
/// always the first to be granted, the consumer can never wait on a budget held by later
/// records (no deadlock).
final class PrefetchPipeline: @unchecked Sendable {
    /// Fixed per-record overhead counted on top of the value bytes (id, labels, bookkeeping).
    static let recordOverheadBytes = 256
    /// Largest decoded record the stream will allocate (a corrupt or absurd token count fails
    /// cleanly instead of exhausting memory): the f32 form of the largest record the format allows,
    /// one of `StrataLimits.maxRecordValueBytes` in a 16-bit dtype.
    static let maxRecordBytes = StrataLimits.maxRecordValueBytes * MemoryLayout<Float>.size / 2

    private struct Slot {
        var result: Result<StreamedRecord, Error>
        var bytes: Int
    }

    private let condition = NSCondition()
    private let source: StreamSource
    private let plan: EpochPlan
    /// Plan position of sequence number 0 (the cursor position when the stream started).
    private let start: Int
    private let total: Int
    private let layers: [Int]?
    private let readValues: Bool
    private let layerCount: Int
    private let hidden: Int
    private let auxiliary: [String]
    private let budget: Int

    private var nextToClaim = 0
    private var nextToReserve = 0
    private var nextToDeliver = 0
    private var ready: [Int: Slot] = [:]
    private var bytesInFlight = 0
    private var peakBytes = 0
    private var stopping = false
    private var failure: Error?
    private var runningWorkers = 0

    init(source: StreamSource, plan: EpochPlan, start: Int, layers: [Int]?, readValues: Bool,
         auxiliary: [String], budget: Int, threads: Int) {
        self.source = source
        self.plan = plan
        self.start = start
        total = plan.count - start
        self.layers = layers
        self.readValues = readValues
        layerCount = readValues ? (layers?.count ?? source.streamLayerCount) : 0
        hidden = source.streamHidden
        self.auxiliary = auxiliary
        self.budget = max(1, budget)
        runningWorkers = threads
        for worker in 0 ..< threads {
            let thread = Thread { [self] in work() }
            thread.name = "strata-prefetch-\(worker)"
            thread.start()
        }
    }

    /// Decoded bytes currently reserved (being decoded or waiting for the consumer).
    var currentBytes: Int { condition.lock(); defer { condition.unlock() }; return bytesInFlight }
    /// The largest value `currentBytes` has reached.
    var peakBytesInFlight: Int { condition.lock(); defer { condition.unlock() }; return peakBytes }

    /// The next record in plan order, nil at the end; rethrows a read failure (the failed
    /// record is not consumed, so a saved state retries it).
    func take() throws -> StreamedRecord? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let failure { throw failure }
            if nextToDeliver >= total { return nil }
            if let slot = ready.removeValue(forKey: nextToDeliver) {
                bytesInFlight -= slot.bytes
                condition.broadcast()
                switch slot.result {
                case let .success(record):
                    nextToDeliver += 1
                    return record
                case let .failure(error):
                    failure = error
                    stopping = true
                    throw error
                }
            }
            if stopping { throw StreamError.closed }
            condition.wait()
        }
    }

    /// Stops the workers and waits for them to exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while runningWorkers > 0 { condition.wait() }
        ready.removeAll()
        bytesInFlight = 0
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            guard !stopping, nextToClaim < total else {
                runningWorkers -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let sequence = nextToClaim
            nextToClaim += 1
            condition.unlock()

            let global = plan.globalIndex(at: start + sequence)
            var header: StreamRecordHeader?
            var bytes = 0
            var result: Result<StreamedRecord, Error>
            do {
                let known = try source.streamHeader(global)
                let decoded = layerCount.multipliedReportingOverflow(by: max(0, known.nTokens) * hidden * MemoryLayout<Float>.size)
                guard !decoded.overflow, decoded.partialValue <= PrefetchPipeline.maxRecordBytes else {
                    throw StreamError.invalidRequest("record \(global) (id \"\(known.id)\") would decode to more than \(PrefetchPipeline.maxRecordBytes >> 30) GiB")
                }
                header = known
                bytes = decoded.partialValue + PrefetchPipeline.recordOverheadBytes
                result = .failure(StreamError.closed)  // replaced below
            } catch {
                result = .failure(error)
            }

            // Reserve in plan order, within the budget.
            condition.lock()
            while !stopping && (nextToReserve != sequence || (bytesInFlight > 0 && bytesInFlight + bytes > budget)) {
                condition.wait()
            }
            if stopping {
                if nextToReserve == sequence { nextToReserve += 1 }
                runningWorkers -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            nextToReserve += 1
            bytesInFlight += bytes
            peakBytes = max(peakBytes, bytesInFlight)
            condition.broadcast()
            condition.unlock()

            if let header {
                result = Result { try decode(global: global, header: header) }
            }

            condition.lock()
            ready[sequence] = Slot(result: result, bytes: bytes)
            condition.broadcast()
            condition.unlock()
        }
    }

    private func decode(global: Int, header: StreamRecordHeader) throws -> StreamedRecord {
        let count = layerCount * header.nTokens * hidden
        var values: [Float] = []
        if readValues && count > 0 {
            var readError: Error?
            values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                do {
                    try source.streamValues(global, layers: layers, into: buffer)
                    initialized = count
                } catch {
                    readError = error
                    initialized = 0
                }
            }
            if let readError { throw readError }
        }
        var vectors: [String: [Float]] = [:]
        for name in auxiliary { vectors[name] = try source.streamAuxiliary(global, name: name) }
        return StreamedRecord(globalIndex: global, id: header.id, labels: header.labels, nTokens: header.nTokens,
                              layerCount: layerCount, hidden: hidden, values: values, auxiliary: vectors)
    }
}
