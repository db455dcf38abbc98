import Foundation
import StrataUtilities

/// Background readers for a `StrataStream`: `threads` workers read and decode the records of
/// an epoch plan ahead of the consumer, and hand them over strictly in plan order.
///
/// Memory bound: an `OrderedPipeline` whose cost is a record's decoded size, so the prefetched
/// data never exceeds max(budget, largest record) and the consumer never waits on a budget held
/// by later records.
final class PrefetchPipeline: @unchecked Sendable {
    /// Fixed per-record overhead counted on top of the value bytes (id, labels, bookkeeping).
    static let recordOverheadBytes = 256
    /// Largest decoded record the stream will allocate (a corrupt or absurd token count fails
    /// cleanly instead of exhausting memory): the f32 form of the largest record the format allows,
    /// one of `StrataLimits.maxRecordValueBytes` in a 16-bit dtype.
    static let maxRecordBytes = StrataLimits.maxRecordValueBytes * MemoryLayout<Float>.size / 2

    /// Record k of the pipeline is plan position `start + k`; its cost is its decoded size.
    private let pipeline: OrderedPipeline<StreamedRecord>

    init(
        source: StreamSource, plan: EpochPlan, start: Int, layers: [Int]?, readValues: Bool,
        auxiliary: [String], budget: Int, threads: Int
    ) {
        let layerCount = readValues ? (layers?.count ?? source.streamLayerCount) : 0
        let hidden = source.streamHidden
        // The header read to size a record is kept for its decode (same worker, same job).
        let headers = HeaderHandOff()
        pipeline = OrderedPipeline(
            count: plan.count - start, threads: threads, budget: budget, name: "strata-prefetch", stoppedError: StreamError.closed,
            cost: { k in
                let global = plan.globalIndex(at: start + k)
                let header = try source.streamHeader(global)
                let decoded = layerCount.multipliedReportingOverflow(by: max(0, header.nTokens) * hidden * MemoryLayout<Float>.size)
                guard !decoded.overflow, decoded.partialValue <= PrefetchPipeline.maxRecordBytes else {
                    throw StreamError.invalidRequest(
                        "record \(global) (id \"\(header.id)\") would decode to more than \(PrefetchPipeline.maxRecordBytes >> 30) GiB")
                }
                headers.put(k, header)
                return decoded.partialValue + PrefetchPipeline.recordOverheadBytes
            },
            work: { k in
                try Self.decode(
                    source: source, global: plan.globalIndex(at: start + k), header: headers.take(k), layers: layers,
                    readValues: readValues, layerCount: layerCount, hidden: hidden, auxiliary: auxiliary)
            })
    }

    /// Decoded bytes currently reserved (being decoded or waiting for the consumer).
    var currentBytes: Int { pipeline.reservedUnits }
    /// The largest value `currentBytes` has reached.
    var peakBytesInFlight: Int { pipeline.peakReservedUnits }

    /// The next record in plan order, nil at the end; rethrows a read failure (the failed
    /// record is not consumed, so a saved state retries it).
    func take() throws -> StreamedRecord? { try pipeline.take() }

    /// Stops the workers and waits for them to exit.
    func stop() { pipeline.stop() }

    private static func decode(
        source: StreamSource, global: Int, header: StreamRecordHeader, layers: [Int]?, readValues: Bool,
        layerCount: Int, hidden: Int, auxiliary: [String]
    ) throws -> StreamedRecord {
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
        return StreamedRecord(
            globalIndex: global, id: header.id, labels: header.labels, nTokens: header.nTokens,
            layerCount: layerCount, hidden: hidden, values: values, auxiliary: vectors)
    }
}

/// A record header read by a worker while sizing a job, handed to the same job's decode.
private final class HeaderHandOff: @unchecked Sendable {
    private let lock = NSLock()
    private var headers: [Int: StreamRecordHeader] = [:]

    func put(_ job: Int, _ header: StreamRecordHeader) { lock.lock(); headers[job] = header; lock.unlock() }

    func take(_ job: Int) throws -> StreamRecordHeader {
        lock.lock(); defer { lock.unlock() }
        guard let header = headers.removeValue(forKey: job) else { throw StreamError.closed }
        return header
    }
}
