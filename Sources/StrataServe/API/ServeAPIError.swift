/// A request the server refuses or could not finish, in the shape OpenAI's API answers errors with:
/// `{"error": {"message", "type", "param", "code"}}` and an HTTP status. `param` names the request field
/// at fault (a JSON path such as `messages[0].content`) when there is one.
public struct ServeAPIError: Error, Equatable, CustomStringConvertible, Sendable {
    /// HTTP status code.
    public var status: Int
    /// What went wrong, for a person.
    public var message: String
    /// OpenAI's error class: `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`.
    public var type: String
    /// The request field at fault, if any.
    public var param: String?
    /// A short machine-readable code, if any.
    public var code: String?
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(
        status: Int, message: String, type: String = "invalid_request_error", param: String? = nil,
        code: String? = nil, retryAfterSeconds: Int? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(type): \(message)" + (param.map { " (param \($0))" } ?? "") }

    /// A field's value is not acceptable (400).
    public static func invalid(_ param: String, _ message: String) -> ServeAPIError {
        ServeAPIError(status: 400, message: "\(param): \(message)", param: param, code: "invalid_value")
    }

    /// The body is not a JSON document the endpoint can read (400).
    public static func badBody(_ message: String, param: String? = nil) -> ServeAPIError {
        ServeAPIError(status: 400, message: message, param: param, code: "invalid_json")
    }

    /// The body is over the size limit (413).
    public static func bodyTooLarge(limit: Int) -> ServeAPIError {
        ServeAPIError(
            status: 413,
            message: "the request body is larger than the server's limit of \(limit) bytes "
                + "(--max-body-bytes)", code: "body_too_large")
    }

    /// The queue is full (429): the client should retry later.
    public static func queueFull(limit: Int) -> ServeAPIError {
        ServeAPIError(
            status: 429,
            message: "the server's request queue is full (\(limit) requests, --queue-limit); "
                + "retry later", type: "rate_limit_error", code: "queue_full", retryAfterSeconds: 1)
    }

    /// The server is shutting down (503).
    public static let shuttingDown = ServeAPIError(
        status: 503, message: "the server is shutting down and accepts no new requests", type: "server_error",
        code: "shutting_down", retryAfterSeconds: 1)

    /// The request ran past its deadline (504).
    public static func timedOut(seconds: Double) -> ServeAPIError {
        ServeAPIError(
            status: 504, message: "the request did not finish within \(seconds) s (--request-timeout)",
            type: "server_error", code: "timeout")
    }

    /// A missing or wrong API key (401).
    public static let unauthorized = ServeAPIError(
        status: 401, message: "missing or wrong API key: send 'Authorization: Bearer <key>' (--api-key)",
        type: "authentication_error", code: "invalid_api_key")

    /// Work that failed inside the server (500): `error` says why.
    public static func internalFailure(_ error: any Error) -> ServeAPIError {
        ServeAPIError(status: 500, message: "the server failed on this request: \(error)", type: "server_error")
    }
}
