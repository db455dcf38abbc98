import Dispatch
import StrataModel

/// When a request's work must be done by and how its client can give up on it.
public struct RequestTicket: Sendable {
    public let cancellation = CancellationFlag()
    /// `DispatchTime` uptime nanoseconds after which the work is abandoned.
    public let deadline: UInt64
    /// Whether the client is still there to take the answer.
    public let connected: @Sendable () -> Bool

    public init(timeoutSeconds: Double, connected: @escaping @Sendable () -> Bool = { true }) {
        deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutSeconds) * 1e9)
        self.connected = connected
    }

    var expired: Bool { DispatchTime.now().uptimeNanoseconds > deadline }
}

/// Work that needs one forward pass per text and nothing after it (no KV cache, no decoding): the
/// scheduler packs the texts of several such tasks into one batch.
protocol PassTask: AnyObject {
    var ticket: RequestTicket { get }
    /// Token ids of each text.
    var texts: [[Int32]] { get }
    /// Gets ready for a pass (leases probe instances); returns the states the pass must hand out.
    func prepare(probes: ProbeRegistry) throws -> HiddenStateRequest
    func receive(layer: Int, text: Int, rows: UnsafeBufferPointer<Float>) throws
    func receiveLastLogProbs(text: Int, logProbs: UnsafeBufferPointer<Float>) throws
    /// The pass is over: hands the result to the waiting request.
    func complete() throws
    /// The task will not be completed: hands `error` to the waiting request.
    func fail(_ error: ServeAPIError)
}

extension PassTask {
    var tokenCount: Int { texts.reduce(0) { $0 + $1.count } }
}

extension HiddenStateRequest {
    /// What a pass must hand out to serve all of `requests`: the union of their layers and log-probabilities.
    static func union(_ requests: [HiddenStateRequest]) -> HiddenStateRequest {
        var layers = Set<Int>()
        var all = false
        for request in requests {
            if let chosen = request.layers { layers.formUnion(chosen) } else { all = true }
        }
        return HiddenStateRequest(
            layers: all ? nil : layers.sorted(),
            wantLastLogProbs: requests.contains { $0.wantLastLogProbs })
    }
}
