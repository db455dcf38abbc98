import Dispatch
import Hummingbird
import NIOCore

/// Wraps every route: checks the bearer token when the server has an API key, turns every error into
/// OpenAI's JSON error object with its status, and counts the request and its latency in the metrics: a
/// streamed answer (server-sent events) counts when its last byte is written, so its latency is the whole
/// stream's.
/// The metrics label unknown paths `other`, so that a client cannot grow the label set.
struct ServeMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics
    let apiKey: String?
    let knownPaths: Set<String>
    /// Paths served without the API key.
    static var openPaths: Set<String> { ["/health"] }

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let path = request.uri.path
        var response: Response
        do {
            if let apiKey, !Self.openPaths.contains(path), request.headers[.authorization] != "Bearer \(apiKey)" {
                throw ServeAPIError.unauthorized
            }
            response = try await next(request, context)
        } catch {
            response = JSONResponse.error(Self.apiError(error))
        }
        let endpoint = knownPaths.contains(path) ? path : "other", status = Int(response.status.code)
        let metrics = metrics
        let record: @Sendable () -> Void = {
            metrics.request(endpoint: endpoint, status: status, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        guard response.headers[.contentType] == ServerSentEvents.contentType else {
            record()
            return response
        }
        let stream = response.body
        response.body = ResponseBody { writer in
            defer { record() }
            try await stream.write(writer)
        }
        return response
    }

    static func apiError(_ error: any Error) -> ServeAPIError {
        switch error {
        case let error as ServeAPIError:
            return error
        case let error as ServingError:
            return error.apiError
        case is NIOTooManyBytesError:
            return ServeAPIError(status: 413, message: "the request body is too large", code: "body_too_large")
        case let error as any HTTPResponseError:
            let code = Int(error.status.code)
            let message =
                code == 404
                ? "no such endpoint"
                : code == 405
                    ? "method not allowed on this endpoint"
                    : "\(error.status.reasonPhrase)"
            return ServeAPIError(status: code, message: message, type: code >= 500 ? "server_error" : "invalid_request_error")
        default:
            return .internalFailure(error)
        }
    }
}
