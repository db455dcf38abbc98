import ArgumentParser
import Dispatch
import Foundation
import Strata
import StrataCapture
import StrataModel
import StrataProbe
import StrataServe

/// `strata bench serve` — the serving-cost table: prefill time and memory without a probe and with each
/// probe attached to the hidden-state tap.
struct BenchServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Measure prefill latency and memory with and without probes attached (batch 1).",
        discussion: """
            For each prompt length (default 512 and 32 tokens, cut from real texts) the prefill that \
            `strata generate` runs (KV cache filled, next-token logits) is timed without a probe and with each \
            --probe attached (its layers handed out by the tap and summarised as they arrive, then its layer \
            stage and head). Runs are interleaved (base, probe 1, probe 2, …) and the median of --runs is \
            reported. extra_bytes is what a probe adds: its parameters plus the scratch it holds after the \
            run. probe_ms is the median time spent inside the probe during the pass (the tap calls it \
            synchronously, so this is the latency it adds, measured within each run and so robust to load \
            changes between runs); probe_pct relates it to base_ms. Without --probe, a randomly initialised pooling, gate and MHA probe over every hidden state \
            is used (same cost as trained ones).

            --json prints (and --out writes) {"prompts":[{"tokens":512,"base_ms":…,"probes":{"gate":{"ms":…,\
            "overhead_pct":…,"extra_bytes":…},…}},…]}.
            """)

    @OptionGroup var modelOptions: ServedModelOptions
    @Option(help: "A probe checkpoint to attach (repeat for several).") var probe: [String] = []
    @Option(help: ArgumentHelp("Prompt lengths in tokens, comma-separated.", valueName: "lengths")) var lengths = CommaSeparated<Int>([
        512, 32
    ])
    @Option(help: "Texts to cut the prompts from (.jsonl with a 'text' field; default: IMDB test reviews when cached, else samples/).")
    var texts: String?
    @Option(help: "Timed runs per setting (median reported).") var runs: Int = 7
    @Flag(help: "Print the results as JSON.") var json = false
    @Option(help: "Also write the JSON results to this file.") var out: String?

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let served = try modelOptions.load()
        let llama = served.llama
        var probes: [(name: String, path: String, serving: ServingProbe)] = []
        if probe.isEmpty {
            for kind in [ProbeKind.pooling, .gate, .mha] {
                let configuration = ProbeConfiguration(
                    kind: kind, hidden: llama.config.hiddenSize,
                    layers: Array(0..<llama.numHiddenStates), classes: 2)
                let checkpoint = ProbeCheckpoint(
                    probe: try Probe(configuration: configuration, seed: 1), threshold: nil,
                    labelNames: nil, provenance: nil)
                probes.append(
                    (
                        kind.rawValue, "random",
                        try ServingProbe(
                            checkpoint: checkpoint, name: "random \(kind.rawValue)",
                            config: llama.config)
                    ))
            }
        } else {
            for path in probe {
                let serving = try served.attach(probe: path)
                var name = serving.checkpoint.header.configuration.kind.rawValue
                var suffix = 2
                while probes.contains(where: { $0.name == name }) {
                    name = serving.checkpoint.header.configuration.kind.rawValue + "-\(suffix)"
                    suffix += 1
                }
                probes.append((name, path, serving))
            }
        }

        let pool = try promptPool(tokenizer: served.tokenizer)
        var results: [[String: Any]] = []
        for length in lengths.values {
            guard length > 0 else { throw UsageError("--lengths: lengths must be positive") }
            let (tokens, source) = Self.prompt(of: length, from: pool)
            let cache = try KVCache(model: llama, capacity: length)
            /// One prefill; returns (total ms, ms inside the probe).
            func prefill(_ attached: ServingProbe?) throws -> (total: Double, probe: Double) {
                cache.reset()
                let start = DispatchTime.now().uptimeNanoseconds
                if let attached {
                    try attached.begin(tokens: tokens.count)
                    let logits = try llama.extend(
                        tokens, cache: cache, request: HiddenStateRequest(layers: attached.request.layers),
                        sink: attached)
                    if attached.live.needsFeatures { try attached.receiveLastLogits(logits) }
                    _ = try attached.finish()
                } else {
                    _ = try llama.extend(tokens, cache: cache)
                }
                return (
                    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6,
                    Double(attached?.busyNanoseconds ?? 0) / 1e6
                )
            }
            _ = try prefill(nil) // warm-up: page in weights, size scratch
            for entry in probes { _ = try prefill(entry.serving) }
            var base: [Double] = [], timed = [[Double]](repeating: [], count: probes.count)
            var inside = [[Double]](repeating: [], count: probes.count)
            for _ in 0..<runs {
                base.append(try prefill(nil).total)
                for (i, entry) in probes.enumerated() {
                    let (total, probe) = try prefill(entry.serving)
                    timed[i].append(total)
                    inside[i].append(probe)
                }
            }
            let baseMs = Self.median(base)
            var probeResults: [String: Any] = [:]
            for (i, entry) in probes.enumerated() {
                let ms = Self.median(timed[i]), probeMs = Self.median(inside[i])
                let live = entry.serving.live
                probeResults[entry.name] =
                    [
                        "ms": Self.round(ms), "overhead_pct": Self.round((ms - baseMs) / baseMs * 100),
                        "probe_ms": Self.round(probeMs), "probe_pct": Self.round(probeMs / baseMs * 100),
                        "extra_bytes": live.probe.parameterCount * 4 + live.scratchBytes,
                        "parameters": live.probe.parameterCount, "layers": entry.serving.modelLayers.count,
                        "probe": entry.path
                    ] as [String: Any]
            }
            results.append([
                "tokens": tokens.count, "source": source, "base_ms": Self.round(baseMs),
                "kv_cache_bytes": cache.byteCount, "probes": probeResults
            ])
        }

        let report: [String: Any] = [
            "model": served.path, "threads": llama.threads, "runs": runs,
            "peak_rss_bytes": ProcessResources.peakResidentBytes ?? 0, "prompts": results
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        if let out {
            do { try data.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw UsageError("--out: cannot write \(out): \(error.localizedDescription)")
            }
        }
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model \(served.path), \(llama.threads) threads, median of \(runs) runs, batch 1")
        print("tokens  setting       prefill ms  overhead  in probe ms  in probe  extra memory")
        func pad(_ text: String) -> String { text.padding(toLength: 12, withPad: " ", startingAt: 0) }
        for result in results {
            let tokens = result["tokens"] as? Int ?? 0
            print(String(format: "%6d  ", tokens) + pad("no probe") + String(format: "  %10.2f", result["base_ms"] as? Double ?? 0))
            let entries = (result["probes"] as? [String: Any]) ?? [:]
            for entry in probes {
                guard let row = entries[entry.name] as? [String: Any] else { continue }
                print(
                    String(format: "%6d  ", tokens) + pad(entry.name)
                        + String(
                            format: "  %10.2f  %+7.1f%%  %11.2f  %7.2f%%  %9.2f MB", row["ms"] as? Double ?? 0,
                            row["overhead_pct"] as? Double ?? 0, row["probe_ms"] as? Double ?? 0, row["probe_pct"] as? Double ?? 0,
                            Double(row["extra_bytes"] as? Int ?? 0) / 1e6))
            }
        }
    }

    /// Texts to cut prompts from: --texts, else the cached IMDB test set, else the samples folder.
    private func promptPool(tokenizer: Tokenizer) throws -> [(tokens: [Int32], source: String)] {
        var candidates: [String] = []
        if let texts {
            candidates = [texts]
        } else {
            let home = NSHomeDirectory()
            candidates = [
                "\(home)/.cache/strata/data/imdb/test.jsonl", "samples/safety_sample.jsonl",
                "samples/rotten_tomatoes_sample.jsonl"
            ].filter { FileManager.default.fileExists(atPath: $0) }
        }
        var pool: [(tokens: [Int32], source: String)] = []
        for path in candidates {
            let reader = TextRecordReader(path: path, fields: TextFields(text: "text", label: nil, id: "id"))
            for case .success(let record) in try reader.readAll().prefix(200) {
                pool.append((tokenizer.encode(record.text), "\(path)#\(record.id)"))
            }
        }
        guard !pool.isEmpty else { throw UsageError("no prompt texts found (give --texts FILE.jsonl)") }
        return pool
    }

    /// The first text of at least `length` tokens, cut to `length`; else texts concatenated.
    static func prompt(of length: Int, from pool: [(tokens: [Int32], source: String)]) -> ([Int32], String) {
        if let text = pool.first(where: { $0.tokens.count >= length }) {
            return (Array(text.tokens.prefix(length)), text.source)
        }
        var tokens: [Int32] = []
        for text in pool where tokens.count < length { tokens += text.tokens }
        while tokens.count < length { tokens += tokens }
        return (Array(tokens.prefix(length)), "concatenated texts")
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
