import Foundation
import StrataCapture
import StrataModel
import StrataProbe
import StrataTestSupport

@testable import StrataServe

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `strata serve` server on a free loopback port, over a synthetic GGUF model (3 blocks, d = 32,
/// byte-level BPE), with probes built from seeded parameters; requests go through URLSession.
final class ServeTestServer: @unchecked Sendable {
    let model: ServedModel
    let context: ServeContext
    let port: Int
    private let serving: Task<Void, any Error>

    /// The synthetic model, written to a scoped temporary directory and loaded.
    static func loadModel() throws -> ServedModel {
        try withTemporaryDirectory { directory in
            let path = directory + "/synthetic.gguf"
            try SyntheticModel(blocks: 3, hidden: 32, feedForward: 48, seed: 4).write(to: path)
            return try ServedModel(path: path, threads: 1)
        }
    }

    /// A probe on the synthetic model reading every hidden state; `headBias` forces its decision.
    static func probe(_ model: ServedModel, kind: ProbeKind, seed: UInt64, headBias: Float? = nil) throws -> ServingProbe {
        let checkpoint = try TinyServingModel.checkpoint(
            kind: kind, datasetLayers: [0, 1, 2, 3], positions: [0, 1, 2, 3],
            seed: seed, headBias: headBias)
        return try ServingProbe(checkpoint: checkpoint, name: "\(kind)", config: model.llama.config)
    }

    init(
        model: ServedModel, probes: [(name: String, probe: ServingProbe)], limits: ServeLimits = ServeLimits(),
        apiKey: String? = nil
    ) async throws {
        self.model = model
        let registry = try ProbeRegistry(probes: probes, config: model.llama.config)
        let metrics = ServeMetrics()
        context = ServeContext(
            model: model,
            scheduler: ServeScheduler(
                model: model, probes: registry, limits: limits,
                metrics: metrics),
            limits: limits, metrics: metrics, modelID: "synthetic", probeNames: registry.names,
            hasGuard: registry.guardProbe != nil, guardThreshold: nil)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let context = context
        serving = Task {
            try await StrataServer.run(context, listener: .init(host: "127.0.0.1", port: 0, apiKey: apiKey)) { _, port in
                portContinuation.yield(port)
                portContinuation.finish()
            }
        }
        var bound: Int?
        for await port in ports { bound = port }
        guard let bound else { throw ServeConfigurationError(what: "test server", why: "did not start") }
        port = bound
    }

    func stop() async {
        serving.cancel()
        _ = await serving.result
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func send(
        _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:],
        timeout: TimeInterval = 60
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = timeout
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func post(_ path: String, _ object: [String: Any], headers: [String: String] = [:]) async throws -> Reply {
        try await send("POST", path, body: try JSONSerialization.data(withJSONObject: object), headers: headers)
    }
}
