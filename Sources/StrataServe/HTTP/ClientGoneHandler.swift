import NIOCore

/// Closes a connection as soon as its client has closed its side. Hummingbird keeps a half-closed
/// connection open and does not cancel the handler, so without this a client that gave up on a whole
/// (not streamed) answer would keep the model busy until its generation ended; with it the connection
/// goes inactive and the scheduler drops the work at its next step (`ServeRequestContext.connected`).
/// A client that half-closes on purpose and then waits for its answer is not served (OpenAI's clients,
/// curl and browsers do not do that).
final class ClientGoneHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
