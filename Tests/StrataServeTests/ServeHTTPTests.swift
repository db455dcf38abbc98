import Foundation
import StrataModel
import StrataProbe
import Testing

@testable import StrataServe

/// The server's endpoints over real HTTP on loopback, each answer checked against the library path that
/// `strata classify`, `strata hidden` and `strata generate` take.
@Suite(.serialized)
struct ServeHTTPTests {
    static let texts = ["the cat sat on the mat", "is it raining in the city", "and then"]

    @Test func classifyEqualsSinglePassClassification() async throws {
        let model = try ServeTestServer.loadModel()
        let kinds: [ProbeKind] = [.pooling, .gate, .mha]
        let probes = try kinds.enumerated().map { index, kind in
            (name: "\(kind)", probe: try ServeTestServer.probe(model, kind: kind, seed: UInt64(index + 1)))
        }
        let server = try await ServeTestServer(model: model, probes: probes)
        // Several requests at once, so that their texts are packed into shared passes.
        let replies = try await withThrowingTaskGroup(of: ServeTestServer.Reply.self) { group in
            for _ in 0..<4 { group.addTask { try await server.post("/v1/classify", ["texts": Self.texts]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await server.stop()
        for reply in replies {
            #expect(reply.status == 200, "\(reply.text)")
            let results = try #require(reply.json["results"] as? [[String: Any]])
            #expect(results.count == Self.texts.count)
            for (index, text) in Self.texts.enumerated() {
                let verdicts = try #require(results[index]["probes"] as? [String: [String: Any]])
                for (offset, kind) in kinds.enumerated() {
                    let reference = try ServeTestServer.probe(model, kind: kind, seed: UInt64(offset + 1))
                        .classify(model: model.llama, tokens: model.tokenizer.encode(text))
                    let served = try #require(verdicts["\(kind)"]?["probability"] as? Double)
                    #expect(abs(served - Double(reference.probability)) <= 1e-6, "\(kind) on '\(text)'")
                }
            }
        }
    }

    @Test(arguments: [HiddenStatePooling.none, .mean, .last])
    func hiddenStatesEqualTheForwardPass(pooling: HiddenStatePooling) async throws {
        let model = try ServeTestServer.loadModel()
        let server = try await ServeTestServer(model: model, probes: [])
        let layers = [3, 0, 2]
        let reply = try await server.post(
            "/v1/hidden-states",
            [
                "text": Self.texts[0], "layers": layers,
                "pooling": pooling.rawValue
            ])
        let half = try await server.post(
            "/v1/hidden-states",
            [
                "text": Self.texts[0], "layers": layers,
                "pooling": pooling.rawValue, "dtype": "bfloat16"
            ])
        await server.stop()
        #expect(reply.status == 200, "\(reply.text)")
        let tokens = model.tokenizer.encode(Self.texts[0])
        let all = try model.llama.hiddenStates(tokens: tokens)
        let n = tokens.count, d = model.llama.config.hiddenSize
        var expected: [Float] = []
        for layer in layers {
            let rows = Array(all[(layer * n * d)..<((layer + 1) * n * d)])
            switch pooling {
            case .none: expected += rows
            case .last: expected += rows[((n - 1) * d)...]
            case .mean: expected += (0..<d).map { j in Float((0..<n).reduce(0.0) { $0 + Double(rows[$1 * d + j]) } / Double(n)) }
            }
        }
        #expect(reply.json["shape"] as? [Int] == (pooling == .none ? [3, n, d] : [3, d]))
        let encoded = try #require(reply.json["data"] as? String)
        let data = try #require(Data(base64Encoded: encoded))
        let served = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(served == expected)
        let halfEncoded = try #require(half.json["data"] as? String)
        let halfData = try #require(Data(base64Encoded: halfEncoded))
        let halves = halfData.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        #expect(halves.count == expected.count)
        for (value, reference) in zip(halves, expected) {
            let widened = Float(bitPattern: UInt32(value) << 16)
            #expect(abs(widened - reference) <= abs(reference) / 128 + 1e-30)
        }
    }

    @Test func chatAnswersAsGenerateAndTheGuardRefuses() async throws {
        let model = try ServeTestServer.loadModel()
        let messages = [["role": "user", "content": "tell me about the cat"]]
        let prompt = model.encode("tell me about the cat", raw: false)
        let reference = try GuardedGeneration.run(
            model: model.llama, prompt: prompt, maxTokens: 6,
            stopTokens: model.stopTokens)
        for (bias, refuses) in [(Float(-20), false), (20, true)] {
            let guardProbe = try ServeTestServer.probe(model, kind: .gate, seed: 9, headBias: bias)
            let server = try await ServeTestServer(model: model, probes: [(ProbeRegistry.guardName, guardProbe)])
            let reply = try await server.post(
                "/v1/chat/completions",
                [
                    "model": "synthetic", "messages": messages,
                    "max_tokens": 6
                ])
            let streamed = try await server.post(
                "/v1/chat/completions",
                [
                    "model": "synthetic", "messages": messages,
                    "max_tokens": 6, "stream": true
                ])
            await server.stop()
            #expect(reply.status == 200, "\(reply.text)")
            let choice = try #require((reply.json["choices"] as? [[String: Any]])?.first)
            let report = try #require(reply.json["strata_guard"] as? [String: Any])
            #expect(report["flagged"] as? Bool == refuses)
            let message = try #require(choice["message"] as? [String: Any])
            let events = streamed.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            if refuses {
                #expect(choice["finish_reason"] as? String == "content_filter")
                #expect(message["content"] == nil && message["refusal"] is String)
                #expect((reply.json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 0)
                #expect(streamed.text.contains(#""finish_reason":"content_filter""#))
            } else {
                let text = model.tokenizer.decode(reference.tokens)
                #expect(message["content"] as? String == text)
                #expect(choice["finish_reason"] as? String == (reference.stop == .stopToken ? "stop" : "length"))
                // The streamed deltas put together are the same text.
                let pieces = try events.dropLast().map { event -> String in
                    let chunk = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any]
                    let delta = (chunk?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
                    return delta?["content"] as? String ?? ""
                }
                #expect(pieces.joined() == text)
            }
        }
    }

    @Test func badRequestsGetOpenAIErrorsNamingTheField() async throws {
        let model = try ServeTestServer.loadModel()
        var limits = ServeLimits()
        limits.maxBodyBytes = 4096
        let probe = try ServeTestServer.probe(model, kind: .pooling, seed: 1)
        let server = try await ServeTestServer(model: model, probes: [("topic", probe)], limits: limits)
        func expectError(_ reply: ServeTestServer.Reply, _ status: Int, param: String?, _ comment: Comment) {
            #expect(reply.status == status, comment)
            #expect(reply.error["param"] as? String == param, comment)
            #expect(reply.error["message"] is String, comment)
        }
        expectError(
            try await server.send("POST", "/v1/chat/completions", body: Data("{\"messages\": [".utf8)), 400,
            param: nil, "malformed JSON")
        expectError(
            try await server.send("POST", "/v1/chat/completions", body: Data([0x7B, 0xFF, 0xFE, 0x7D])), 400,
            param: nil, "not UTF-8")
        expectError(try await server.post("/v1/chat/completions", ["model": "m"]), 400, param: "messages", "missing field")
        expectError(try await server.post("/v1/chat/completions", ["messages": []]), 400, param: "messages", "no messages")
        expectError(
            try await server.post("/v1/chat/completions", ["messages": [["role": "user", "content": 5]]]), 400,
            param: "messages[0].content", "wrong type")
        expectError(
            try await server.post("/v1/chat/completions", ["messages": [["role": "robot", "content": "x"]]]), 400,
            param: "messages[0].role", "unknown role")
        expectError(
            try await server.post(
                "/v1/chat/completions",
                [
                    "messages": [["role": "user", "content": "x"]],
                    "max_tokens": 100_000
                ]), 400, param: "max_tokens", "max_tokens")
        expectError(
            try await server.post("/v1/classify", ["texts": ["a"], "probes": ["nope"]]), 404, param: "probes[0]",
            "unknown probe")
        expectError(
            try await server.post("/v1/hidden-states", ["text": "a", "layers": [0, 9]]), 400, param: "layers[1]",
            "layer out of range")
        expectError(
            try await server.post("/v1/hidden-states", ["text": "a", "pooling": "max"]), 400, param: "pooling",
            "unknown pooling")
        expectError(
            try await server.send("POST", "/v1/classify", body: Data(repeating: 0x20, count: 10_000)), 413,
            param: nil, "huge body")
        expectError(try await server.send("GET", "/v1/nothing"), 404, param: nil, "unknown path")
        // The server still answers after all of that.
        let fine = try await server.post("/v1/classify", ["texts": ["a cat"]])
        #expect(fine.status == 200)
        let metrics = try await server.send("GET", "/metrics")
        await server.stop()
        #expect(metrics.text.contains(#"strata_requests_total{endpoint="/v1/chat/completions",status="400"} 7"#))
        #expect(metrics.text.contains(#"strata_probe_verdicts_total{probe="topic""#))
    }

    /// A client that gives up on a whole (not streamed) answer frees the model: its generation stops long
    /// before max_tokens.
    @Test func disconnectedClientsWorkIsDropped() async throws {
        let model = try ServeTestServer.loadModel()
        var limits = ServeLimits()
        limits.maxCompletionTokens = 1_000_000
        let server = try await ServeTestServer(model: model, probes: [], limits: limits)
        let body = try JSONSerialization.data(withJSONObject: ["prompt": "the cat", "max_tokens": 1_000_000])
        await #expect(throws: (any Error).self) {
            _ = try await server.send("POST", "/v1/completions", body: body, timeout: 1)
        }
        var depth = -1
        for _ in 0..<200 where depth != 0 {
            try await Task.sleep(nanoseconds: 50_000_000)
            depth = server.context.scheduler.depth
        }
        let metrics = try await server.send("GET", "/metrics")
        await server.stop()
        #expect(depth == 0)
        let generated = metrics.text.split(separator: "\n").first { $0.hasPrefix("strata_completion_tokens_total ") }
        let count = Double(generated?.split(separator: " ").last ?? "") ?? .infinity
        #expect(count < 100_000, "\(generated ?? "")")
    }

    /// A streamed answer's latency is counted when its last byte is written (so it is at least its time to first
    /// token, which an answer counted when its headers go out is not), and time to first token has its own
    /// histogram, for streamed and whole answers alike.
    @Test func streamedLatencyCoversTheWholeStreamAndTimeToFirstTokenIsMeasured() async throws {
        let model = try ServeTestServer.loadModel()
        let server = try await ServeTestServer(model: model, probes: [])
        let streamed = try await server.post("/v1/completions", ["prompt": "the cat", "max_tokens": 40, "stream": true])
        let whole = try await server.post(
            "/v1/chat/completions",
            ["messages": [["role": "user", "content": "the cat"]], "max_tokens": 5])
        let metrics = try await server.send("GET", "/metrics")
        await server.stop()
        #expect(streamed.status == 200 && streamed.text.contains("data: [DONE]") && whole.status == 200)
        func value(_ name: String, _ endpoint: String) -> Double? {
            let prefix = "\(name){endpoint=\"\(endpoint)\"} "
            return metrics.text.split(separator: "\n").first { $0.hasPrefix(prefix) }
                .flatMap { Double($0.dropFirst(prefix.count)) }
        }
        for endpoint in ["/v1/completions", "/v1/chat/completions"] {
            #expect(value("strata_time_to_first_token_seconds_count", endpoint) == 1, "\(endpoint):\n\(metrics.text)")
            let firstToken = try #require(value("strata_time_to_first_token_seconds_sum", endpoint))
            let duration = try #require(value("strata_request_duration_seconds_sum", endpoint))
            #expect(firstToken > 0 && duration >= firstToken, "\(endpoint): latency \(duration) s, first token \(firstToken) s")
        }
    }

    @Test func apiKeyIsRequiredWhenSet() async throws {
        let model = try ServeTestServer.loadModel()
        let server = try await ServeTestServer(model: model, probes: [], apiKey: "sesame")
        let without = try await server.send("GET", "/v1/models")
        let wrong = try await server.send("GET", "/v1/models", headers: ["Authorization": "Bearer nope"])
        let right = try await server.send("GET", "/v1/models", headers: ["Authorization": "Bearer sesame"])
        let health = try await server.send("GET", "/health")
        await server.stop()
        #expect(without.status == 401 && wrong.status == 401 && without.error["type"] as? String == "authentication_error")
        #expect(right.status == 200 && health.status == 200)
        #expect(((right.json["data"] as? [[String: Any]])?.first?["id"]) as? String == "synthetic")
    }

    @Test func openAPIDocumentDescribesEveryJSONEndpoint() async throws {
        let model = try ServeTestServer.loadModel()
        let server = try await ServeTestServer(model: model, probes: [])
        let reply = try await server.send("GET", "/openapi.json")
        await server.stop()
        let paths = try #require(reply.json["paths"] as? [String: Any])
        #expect(
            Set(paths.keys) == [
                "/v1/chat/completions", "/v1/completions", "/v1/classify", "/v1/hidden-states",
                "/v1/models", "/health"
            ])
    }
}
