import Foundation
import StrataModel

/// What every endpoint shares: the model, the scheduler that runs its work, the limits and the metrics.
public struct ServeContext: Sendable {
    public let model: ServedModel
    public let scheduler: ServeScheduler
    public let limits: ServeLimits
    public let metrics: ServeMetrics
    /// The id clients see in `/v1/models` and in responses.
    public let modelID: String
    /// Probe names `/v1/classify` accepts (the guard among them, as `guard`).
    public let probeNames: [String]
    public let hasGuard: Bool
    /// The guard's decision threshold (nil: the checkpoint's, else 0.5).
    public let guardThreshold: Float?
    /// Unix time the server started.
    public let created = Int(Date().timeIntervalSince1970)

    public init(
        model: ServedModel, scheduler: ServeScheduler, limits: ServeLimits, metrics: ServeMetrics,
        modelID: String, probeNames: [String], hasGuard: Bool, guardThreshold: Float?
    ) {
        self.model = model
        self.scheduler = scheduler
        self.limits = limits
        self.metrics = metrics
        self.modelID = modelID
        self.probeNames = probeNames
        self.hasGuard = hasGuard
        self.guardThreshold = guardThreshold
    }

    /// Token ids of a prompt text, within the prompt limit; errors name `field`.
    func promptTokens(_ text: String, field: String) throws -> [Int32] {
        let tokens = model.tokenizer.encode(text)
        guard !tokens.isEmpty else { throw ServingError.emptyPrompt(source: field, field: field).apiError }
        guard tokens.count <= limits.maxPromptTokens else {
            throw ServeAPIError.invalid(
                field,
                "the prompt is \(tokens.count) tokens, more than the limit of "
                    + "\(limits.maxPromptTokens) (--max-prompt-tokens)")
        }
        return tokens
    }

    /// Submits a pass task made by `make` and waits for its result; a cancelled request or a closed
    /// connection (`connected` false) drops the task.
    func run<Output>(
        connected: @escaping @Sendable () -> Bool,
        _ make: (RequestTicket, @escaping @Sendable (Result<Output, ServeAPIError>) -> Void) -> any PassTask
    )
        async throws -> Output
    {
        let ticket = RequestTicket(timeoutSeconds: limits.requestTimeoutSeconds, connected: connected)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = make(ticket) { continuation.resume(with: $0) }
                do { try scheduler.submit(task) } catch { continuation.resume(throwing: error) }
            }
        } onCancel: {
            ticket.cancellation.cancel()
        }
    }

    /// A new response's id (`prefix` + 12 random base-36 digits), the time and the model id.
    func header(prefix: String) -> CompletionHeader {
        CompletionHeader(
            id: prefix + (0..<12).map { _ in String(UInt8.random(in: 0..<36), radix: 36) }.joined(),
            created: Int(Date().timeIntervalSince1970), model: modelID)
    }
}
