import Prometheus

/// The server's Prometheus metrics (`GET /metrics`): requests by endpoint and status, request latency,
/// prefill latency, tokens in and out, queue depth, active generations, packed-pass sizes and guard verdicts.
public final class ServeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let queueDepth: Gauge
    private let activeGenerations: Gauge
    private let promptTokens: Counter
    private let completionTokens: Counter
    private let prefillSeconds: ValueHistogram
    private let passTexts: ValueHistogram
    private let passSequences: ValueHistogram
    private static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    public init() {
        queueDepth = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "queue_depth", unitName: "",
                helpText: "Requests admitted and not finished (waiting, generating or in a pass)"))
        activeGenerations = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "active_generations", unitName: "", helpText: "Generations being decoded"))
        promptTokens = registry.makeCounter(
            descriptor: .init(
                namespace: "strata", metricName: "prompt_tokens", unitName: "total",
                helpText: "Prompt tokens run through the model"))
        completionTokens = registry.makeCounter(
            descriptor: .init(
                namespace: "strata", metricName: "completion_tokens", unitName: "total", helpText: "Tokens generated"))
        prefillSeconds = registry.makeValueHistogram(
            descriptor: .init(
                namespace: "strata", metricName: "prefill", unitName: "seconds",
                helpText: "Prefill latency of a generation, the guard included"), buckets: Self.latencyBuckets)
        passTexts = registry.makeValueHistogram(
            descriptor: .init(
                namespace: "strata", metricName: "packed_pass_texts", unitName: "",
                helpText: "Classify and hidden-state texts packed into one forward pass"),
            buckets: [1, 2, 4, 8, 16, 32, 64])
        passSequences = registry.makeValueHistogram(
            descriptor: .init(
                namespace: "strata", metricName: "packed_pass_sequences", unitName: "",
                helpText: "Sequences packed into one forward pass: texts, generation prompts and decode steps"),
            buckets: [1, 2, 4, 8, 16, 32, 64])
    }

    /// The time from a generation request's arrival to its first generated text (streamed: written).
    public func firstToken(endpoint: String, seconds: Double) {
        registry.makeValueHistogram(
            descriptor: .init(
                namespace: "strata", metricName: "time_to_first_token",
                unitName: "seconds",
                helpText: "Time from a generation request's arrival to its first generated text"),
            labels: [("endpoint", endpoint)], buckets: Self.latencyBuckets
        ).record(seconds)
    }

    /// A finished HTTP request (a streamed one when its last byte is written).
    public func request(endpoint: String, status: Int, seconds: Double) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "strata", metricName: "requests", unitName: "total",
                helpText: "HTTP requests by endpoint and status"),
            labels: [("endpoint", endpoint), ("status", String(status))]
        ).increment()
        registry.makeValueHistogram(
            descriptor: .init(
                namespace: "strata", metricName: "request_duration",
                unitName: "seconds", helpText: "HTTP request latency by endpoint, to the last byte of a streamed answer"),
            labels: [("endpoint", endpoint)], buckets: Self.latencyBuckets
        ).record(seconds)
    }

    func queue(depth: Int, activeGenerations active: Int) {
        queueDepth.set(Double(depth))
        activeGenerations.set(Double(active))
    }

    func prefill(tokens: Int, seconds: Double) {
        promptTokens.increment(by: Int64(tokens))
        prefillSeconds.record(seconds)
    }

    /// A packed pass of `sequences` sequences, `texts` of them classify or hidden-state texts of `textTokens` tokens.
    func pass(sequences: Int, texts: Int, textTokens: Int) {
        passSequences.record(Double(sequences))
        guard texts > 0 else { return }
        promptTokens.increment(by: Int64(textTokens))
        passTexts.record(Double(texts))
    }

    func generatedToken() { completionTokens.increment() }

    /// A probe's verdict on a prompt or text.
    func verdict(probe: String, flagged: Bool) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "strata", metricName: "probe_verdicts", unitName: "total",
                helpText: "Probe verdicts (the guard's among them) by probe and outcome"),
            labels: [("probe", probe), ("verdict", flagged ? "flagged" : "passed")]
        ).increment()
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
