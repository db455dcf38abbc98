import ArgumentParser
import Foundation
import Strata
import StrataProbe

/// `strata bench probes`: training throughput (examples/s) and peak RSS of each probe kind on
/// in-memory synthetic batches (a benchmark, not a test). benchmarks/bench_probes_torch.py runs the same
/// architectures and batch shapes in PyTorch for comparison.
struct BenchProbesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probes",
        abstract: "Benchmark probe training steps (forward, backward, clip, AdamW) per probe kind on synthetic batches.",
        discussion: """
            Batches are B records of layer-major hidden states with lengths spread evenly over \
            [--min-tokens, --tokens] (record i has min + (i·7919 mod (max − min + 1)) tokens, the same rule \
            as benchmarks/bench_probes_torch.py), padded to the longest. Data loading is excluded: this measures \
            the probe's compute. Examples/s = timed steps × B / wall seconds.
            """)

    @Option(help: ArgumentHelp("Comma-separated probe kinds.", valueName: "kinds")) var kinds = CommaSeparated<ProbeKind>([
        .pooling, .gate, .mha
    ])
    @Option(name: .customLong("batch-size")) var batchSize: Int = 32
    @Option(help: "Longest record (tokens).") var tokens: Int = 128
    @Option(name: .customLong("min-tokens"), help: "Shortest record (tokens).") var minTokens: Int = 64
    @OptionGroup var layerCount: LayerCountOption
    @Option(help: "Hidden size d.") var hidden: Int = 576
    @Option(help: "Timed steps per kind.") var steps: Int = 10
    @Option(name: .customLong("warmup-steps")) var warmupSteps: Int = 2
    @Option(help: "MHA heads.") var heads: Int = 2
    @Option(help: "MHA downcast factor.") var downcast: Int = 32
    @Option(help: "Worker threads (default: one per core).") var threads: Int?
    @Flag(help: "Print JSON lines instead of a table.") var json = false

    var layers: Int { layerCount.count }

    func run() throws {
        let kindList = kinds.values
        let lengths = (0..<batchSize).map { minTokens + ($0 * 7919) % (tokens - minTokens + 1) }
        var builder = PaddedBatchBuilder(tokenCounts: lengths, layers: layers, hidden: hidden, endsStep: true)
        var rng = SeededGenerator(seed: 1)
        let maxT = lengths.max() ?? 0
        builder.withValues { v in
            for b in 0..<batchSize {
                for l in 0..<layers {
                    for t in 0..<lengths[b] {
                        let row = v.baseAddress! + ((b * layers + l) * maxT + t) * hidden
                        for j in 0..<hidden { row[j] = rng.normal() }
                    }
                }
            }
        }
        for b in 0..<batchSize { builder.setLabel(slot: b, b % 2, id: "\(b)") }
        let batch = builder.batch
        if !json {
            print("| probe | params | B | T (min–max) | L × d | threads | examples/s | ms/step | peak RSS MiB |")
            print("|---|---|---|---|---|---|---|---|---|")
        }
        for kind in kindList {
            let config = ProbeConfiguration(
                kind: kind, hidden: hidden, layers: Array(0..<(kind.readsOneLayer ? 1 : layers)),
                classes: 2, heads: heads, downcast: downcast)
            let probe = try Probe(configuration: config, seed: 1)
            var input = batch
            if kind.readsOneLayer {
                // keep only the last layer
                var one = PaddedBatchBuilder(tokenCounts: lengths, layers: 1, hidden: hidden, endsStep: true)
                for b in 0..<batchSize {
                    let start = ((b * layers + layers - 1) * maxT) * hidden
                    batch.values.withUnsafeBufferPointer {
                        one.setValues(slot: b, from: UnsafeBufferPointer(rebasing: $0[start..<(start + maxT * hidden)]), tokens: maxT)
                    }
                    one.setLabel(slot: b, b % 2, id: "\(b)")
                }
                input = one.batch
            }
            var optimizer = AdamW(layout: probe.layout, weightDecay: 0.01)
            var gradients = [Float](repeating: 0, count: probe.parameterCount)
            func step() throws {
                for j in 0..<gradients.count { gradients[j] = 0 }
                let r = try probe.accumulateGradients(batch: input, classWeights: nil, gradients: &gradients, workers: threads)
                let s = Float(1 / r.weight)
                for j in 0..<gradients.count { gradients[j] *= s }
                clipGradientNorm(&gradients, maxNorm: 1)
                optimizer.update(parameters: &probe.parameters, gradients: gradients, learningRate: 1e-3)
            }
            for _ in 0..<warmupSteps { try step() }
            let start = Date()
            for _ in 0..<steps { try step() }
            let seconds = Date().timeIntervalSince(start)
            let eps = Double(steps * batchSize) / seconds
            let peak = Double(ProcessResources.peakResidentBytes ?? 0) / Double(1 << 20)
            let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
            if json {
                print(
                    "{\"impl\":\"strata\",\"kind\":\"\(kind.rawValue)\",\"params\":\(probe.parameterCount),\"examples_per_s\":\(eps),"
                        + "\"ms_per_step\":\(seconds * 1000 / Double(steps)),\"peak_rss_mib\":\(peak),\"threads\":\(workers)}")
            } else {
                print(
                    String(
                        format: "| %@ | %d | %d | %d–%d | %d × %d | %d | %.1f | %.1f | %.0f |", kind.rawValue, probe.parameterCount,
                        batchSize, minTokens, tokens, kind.readsOneLayer ? 1 : layers, hidden, workers, eps, seconds * 1000 / Double(steps),
                        peak))
            }
        }
    }
}
