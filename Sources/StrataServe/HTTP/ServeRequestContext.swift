import Dispatch
import Hummingbird
import NIOCore

/// The context of the server's routes: Hummingbird's core context plus the client's connection, so that
/// the scheduler can drop the work of a client that has gone away (Hummingbird does not cancel a handler
/// whose connection closes; a streamed answer notices when a write fails, a whole one only this way).
public struct ServeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    private let connection: (any Channel)?
    /// When the request arrived (`DispatchTime` uptime nanoseconds): latencies are measured from here.
    let receivedAt = DispatchTime.now().uptimeNanoseconds

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
    }

    /// Whether the client's connection is still open (read by the scheduler between steps).
    var connected: @Sendable () -> Bool {
        guard let connection else { return { true } }
        return { connection.isActive }
    }
}
