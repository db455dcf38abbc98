import Foundation
import StrataUtilities
import Testing

@testable import StrataServe

/// A server that cannot listen names the listen address in the library's words, never as command-line flags
/// (the CLI maps them to `--host/--port`: `SettingFlags`).
@Suite(.serialized)
struct ServeSettingNamesTests {
    @Test func anAddressInUseIsNamedInWords() async throws {
        let model = try ServeTestServer.loadModel()
        let first = try await ServeTestServer(model: model, probes: [])
        let limits = ServeLimits(), metrics = ServeMetrics()
        let registry = try ProbeRegistry(probes: [], config: model.llama.config)
        let second = ServeContext(
            model: model, scheduler: ServeScheduler(model: model, probes: registry, limits: limits, metrics: metrics),
            limits: limits, metrics: metrics, modelID: "synthetic", probeNames: registry.names, hasGuard: false, guardThreshold: nil)
        do {
            // The port the first server holds: the second cannot listen there and says so, naming the setting.
            try await StrataServer.run(second, listener: .init(host: "127.0.0.1", port: first.port, apiKey: nil)) { _, _ in
                Issue.record("a second server listened on port \(first.port)")
            }
            Issue.record("a second server on port \(first.port) returned without an error")
        } catch let refused as InvalidSetting {
            #expect(refused.setting == ServeSetting.listenAddress.name && refused.value == "127.0.0.1:\(first.port)")
            #expect(
                refused.description.hasPrefix(
                    "invalid value '127.0.0.1:\(first.port)' for listen address (host and port): cannot listen there"))
            #expect(!refused.description.contains("--"), "\(refused)")
        }
        await first.stop()
    }
}
