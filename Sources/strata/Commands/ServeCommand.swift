import ArgumentParser
import Dispatch
import Foundation
import StrataModel
import StrataServe

/// `strata serve`: an OpenAI-compatible HTTP server whose guard and classifiers read the serving pass.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API, with an in-pass guard, probes and hidden states.",
        discussion: """
            Endpoints: POST /v1/chat/completions (stream: true for server-sent events), POST /v1/completions, \
            POST /v1/classify ({texts, probes} -> each probe's probabilities, as `strata classify`), \
            POST /v1/hidden-states ({text | messages, layers, pooling: none|mean|last, dtype: float32|bfloat16} -> \
            base64 little-endian values and their shape, as `strata hidden`), GET /v1/models, GET /health, \
            GET /metrics (Prometheus text) and GET /openapi.json.

            With --guard P.probe every chat and completion prompt feeds the probe during its own prefill; a \
            flagged prompt is answered with finish_reason "content_filter" before any token is generated, and \
            every generation response carries the verdict in the extra field "strata_guard". The guard is also \
            listed in /v1/classify as "guard".

            All model work runs on one thread: each turn is one packed forward pass holding the waiting classify \
            and hidden-state texts and the prefills of arriving generations (--max-batch-tokens new tokens), plus \
            one decode token of every active generation (--max-active), each of which then samples its next token. At most --queue-limit requests are admitted; more get \
            429 with Retry-After at once. A client that disconnects cancels its work; a request past \
            --request-timeout gets 504. SIGTERM or SIGINT stops accepting connections, finishes in-flight \
            requests and exits 0. Bad requests get OpenAI's JSON error object with a 4xx status naming the field.

            The server prints "listening on http://HOST:PORT" on stdout once it accepts connections (--port 0 \
            picks a free port).
            """)

    @OptionGroup var modelOptions: ServedModelOptions
    @Option(name: .customLong("guard"), help: "Probe checkpoint that screens every generation prompt during its prefill.")
    var guardProbe: String?
    @Option(help: "Guard decision threshold on P(class 1) (default: the checkpoint's, else 0.5).") var threshold: Float?
    @Option(
        name: .customLong("probe"), parsing: .singleValue,
        help: "NAME=PATH: a probe checkpoint /v1/classify serves under NAME (repeatable).")
    var probes: [NamedProbe] = []
    @Option(help: "Address to listen on (loopback by default; any other address must be given here).")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: a free port).") var port = 8080
    @Option(help: "Require 'Authorization: Bearer KEY' on every endpoint but /health.") var apiKey: String?
    @Option(help: "Model id shown in /v1/models and responses (default: the model file's name).") var modelID: String?
    @Option(help: "Requests admitted and unfinished at most; more get 429.") var queueLimit = ServeLimits().queueLimit
    @Option(help: "Generations decoded at the same time.") var maxActive = ServeLimits().maxActiveGenerations
    @Option(help: "New tokens (texts and prompts) packed into one forward pass.") var maxBatchTokens = ServeLimits().maxBatchTokens
    @Option(help: "Largest request body in bytes (413 above).") var maxBodyBytes = ServeLimits().maxBodyBytes
    @Option(help: "Longest prompt or text in tokens.") var maxPromptTokens = ServeLimits().maxPromptTokens
    @Option(help: "Largest max_tokens a request may ask for.") var maxCompletionTokens = ServeLimits().maxCompletionTokens
    @Option(help: "max_tokens of a chat request that gives none (default: 256, or --max-completion-tokens if lower).")
    var defaultMaxTokens: Int?
    @Option(help: "Most texts in one /v1/classify request.") var maxTexts = ServeLimits().maxTextsPerRequest
    @Option(help: "Largest /v1/hidden-states answer in bytes before base64.")
    var maxHiddenStateBytes = ServeLimits().maxHiddenStateBytes
    @Option(help: "Seconds a request may take from admission to its last token (504 after).")
    var requestTimeout = ServeLimits().requestTimeoutSeconds

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        for (flag, value) in [
            ("--queue-limit", queueLimit), ("--max-active", maxActive), ("--max-batch-tokens", maxBatchTokens),
            ("--max-body-bytes", maxBodyBytes), ("--max-prompt-tokens", maxPromptTokens),
            ("--max-completion-tokens", maxCompletionTokens), ("--default-max-tokens", defaultMaxTokens ?? 1),
            ("--max-texts", maxTexts), ("--max-hidden-state-bytes", maxHiddenStateBytes)
        ] where value < 1 {
            throw ValidationError("\(flag) must be at least 1")
        }
        guard (defaultMaxTokens ?? 1) <= maxCompletionTokens else {
            throw ValidationError("--default-max-tokens must not exceed --max-completion-tokens")
        }
        guard requestTimeout > 0, requestTimeout.isFinite else { throw ValidationError("--request-timeout must be positive") }
        if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be between 0 and 1") }
        if apiKey?.isEmpty == true { throw ValidationError("--api-key must not be empty") }
    }

    var limits: ServeLimits {
        var limits = ServeLimits()
        limits.queueLimit = queueLimit
        limits.maxActiveGenerations = maxActive
        limits.maxBatchTokens = maxBatchTokens
        limits.maxBodyBytes = maxBodyBytes
        limits.maxPromptTokens = maxPromptTokens
        limits.maxCompletionTokens = maxCompletionTokens
        limits.defaultCompletionTokens = defaultMaxTokens ?? min(ServeLimits().defaultCompletionTokens, maxCompletionTokens)
        limits.maxTextsPerRequest = maxTexts
        limits.maxHiddenStateBytes = maxHiddenStateBytes
        limits.requestTimeoutSeconds = requestTimeout
        return limits
    }

    func run() throws {
        let served = try modelOptions.load()
        var attached: [(name: String, probe: ServingProbe)] = []
        if let guardProbe {
            let probe = try served.attach(probe: guardProbe)
            served.warnIfPromptFormatDiffers(
                probe, raw: false, system: nil,
                hint: "train the guard on `strata capture --chat-template` data")
            attached.append((ProbeRegistry.guardName, probe))
        }
        for named in probes {
            guard named.name != ProbeRegistry.guardName else {
                throw ValidationError("--probe: the name '\(ProbeRegistry.guardName)' is taken by --guard")
            }
            attached.append((named.name, try served.attach(probe: named.path)))
        }
        let registry = try ProbeRegistry(probes: attached, config: served.llama.config)
        let limits = limits
        let metrics = ServeMetrics()
        let context = ServeContext(
            model: served, scheduler: ServeScheduler(model: served, probes: registry, limits: limits, metrics: metrics),
            limits: limits, metrics: metrics,
            modelID: modelID ?? URL(fileURLWithPath: served.path).deletingPathExtension().lastPathComponent,
            probeNames: registry.names, hasGuard: guardProbe != nil, guardThreshold: threshold)
        let listener = StrataServer.Listener(host: host, port: port, apiKey: apiKey)
        let outcome = BlockingAsync.run {
            try await StrataServer.run(context, listener: listener) { host, port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            }
        }
        try outcome.get()
    }
}

/// Runs async work to completion from synchronous code (the tool's `main` is synchronous).
enum BlockingAsync {
    static func run(_ work: @escaping @Sendable () async throws -> Void) -> Result<Void, any Error> {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Task {
            do { try await work(); box.result = .success(()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return box.result
    }

    private final class ResultBox: @unchecked Sendable {
        var result: Result<Void, any Error> = .success(())
    }
}
