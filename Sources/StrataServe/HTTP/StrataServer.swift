import Foundation
import Hummingbird
import NIOCore
import StrataUtilities

/// The HTTP server of `strata serve`: OpenAI-compatible generation, single-pass probes and hidden
/// states, health, metrics and the OpenAPI description, on Hummingbird.
public enum StrataServer {
    /// Where and how the server listens.
    public struct Listener: Sendable {
        public var host: String
        public var port: Int
        /// Bearer token every endpoint but `/health` requires (nil: none).
        public var apiKey: String?

        public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil) {
            self.host = host
            self.port = port
            self.apiKey = apiKey
        }
    }

    /// The routes of `context`, wrapped in `ServeMiddleware`.
    public static func router(_ context: ServeContext, apiKey: String?) -> Router<ServeRequestContext> {
        let generation = GenerationEndpoints(context: context)
        let analysis = AnalysisEndpoints(context: context)
        let openAPI = OpenAPIDocument.json(limits: context.limits, probes: context.probeNames)
        let paths: Set<String> = [
            "/v1/chat/completions", "/v1/completions", "/v1/classify", "/v1/hidden-states",
            "/v1/models", "/health", "/metrics", "/openapi.json"
        ]
        let router = Router(context: ServeRequestContext.self)
        router.add(middleware: ServeMiddleware(metrics: context.metrics, apiKey: apiKey, knownPaths: paths))
        router.post("/v1/chat/completions") { request, requestContext in try await generation.chat(request, requestContext) }
        router.post("/v1/completions") { request, requestContext in try await generation.completion(request, requestContext) }
        router.post("/v1/classify") { request, requestContext in try await analysis.classify(request, requestContext) }
        router.post("/v1/hidden-states") { request, requestContext in
            try await analysis.hiddenStates(request, requestContext)
        }
        router.get("/v1/models") { _, _ in
            try JSONResponse.make(
                ModelList(data: [
                    .init(
                        id: context.modelID, created: context.created, hiddenStates: context.model.llama.numHiddenStates,
                        probes: context.probeNames)
                ]))
        }
        router.get("/health") { _, _ in
            try JSONResponse.make(HealthReport(status: "ok", queueDepth: context.scheduler.depth))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: context.metrics.render())))
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
        }
        return router
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections, lets in-flight requests finish and
    /// returns. `onListening` gets the bound address (the port is the real one when `listener.port` is 0).
    public static func run(
        _ context: ServeContext, listener: Listener,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void
    ) async throws {
        let app = Application(
            router: router(context, apiKey: listener.apiKey),
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientGoneHandler()])),
            configuration: .init(address: .hostname(listener.host, port: listener.port), serverName: "strata"),
            onServerRunning: { channel in onListening(listener.host, channel.localAddress?.port ?? listener.port) })
        context.scheduler.start()
        defer { context.scheduler.shutdown() }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch let error as IOError {
            throw InvalidSetting(ServeSetting.listenAddress, value: "\(listener.host):\(listener.port)", "cannot listen there: \(error)")
        }
    }
}
