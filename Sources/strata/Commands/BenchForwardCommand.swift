import ArgumentParser
import Foundation
import StrataModel

/// `strata bench forward` — tokens/s of the packed forward pass, with and without handing every layer to a sink.
struct BenchForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Measure forward-pass tokens/s on a fixed set of tokenized texts.",
        discussion: """
            Texts are packed in their file order into batches of about --batch-tokens tokens. Two figures per \
            batch size: the forward pass alone, and the forward pass plus copying every layer's hidden states \
            (all L+1) into a sink, which is what capture pays before the format module writes them.

            Batches run on --workers forward passes at once (each with --threads threads), exactly as \
            `strata capture` runs them; the defaults are the same as capture's.
            """)

    @Option(help: "Path to a .gguf file of a supported architecture (strata gguf-info says), or a cached model name such as 'smollm2'.")
    var model: String = "smollm2"

    @Option(help: "Token-id file: one text per line, ids separated by spaces or commas.")
    var texts: String = "samples/bench/rotten_tomatoes_200.ids"

    @Option(help: "Target tokens per packed batch; a comma-separated list measures each.")
    var batchTokens = CommaSeparated<Int>([512])

    @Option(help: "Forward passes run at once, one packed batch each (default: one per core).")
    var workers: Int?

    @Option(help: "Threads of each worker, for BLAS and the rest of its pass (default: cores / workers).")
    var threads: Int?

    @Option(help: "Timed passes over the texts per setting; the fastest is reported.")
    var repeats: Int = 2

    func run() throws {
        let sequences = try Self.readTokenFile(texts)
        let totalTokens = sequences.reduce(0) { $0 + $1.count }
        let loadStart = Date()
        if let workers, workers < 1 { throw UsageError("--workers must be at least 1") }
        if let threads, threads < 1 { throw UsageError("--threads must be at least 1") }
        let workerCount = workers ?? ForwardWorkers.defaultCount
        let llama = try LlamaModel(
            path: resolveModelPath(model),
            threads: threads ?? ForwardWorkers.defaultThreads(workers: workerCount))
        BLASThreads.set(llama.threads) // --threads covers each worker's products too (capture keeps them at 1)
        let pool = ForwardWorkers(model: llama, count: workerCount)
        print(
            String(
                format: "model %@: loaded in %.1f s; %d texts, %d tokens; %d worker(s) × %d thread(s)",
                model, Date().timeIntervalSince(loadStart), sequences.count, totalTokens, pool.count, llama.threads))
        let sinks = (0..<pool.count).map { _ in CopyingSink(hiddenSize: llama.config.hiddenSize) }
        // Every batch through the workers, with the sink of the worker that runs it (or none).
        func pass(_ batches: [[[Int32]]], request: HiddenStateRequest, sink: Bool) throws {
            try pool.run(
                jobs: batches.count,
                compute: { job, workspace in
                    _ = try llama.forward(
                        batch: batches[job], request: request, sink: sink ? sinks[workspace.index] : nil,
                        workspace: workspace)
                }, deliver: { _, _ in })
        }
        for target in batchTokens.values {
            guard target > 0 else { throw UsageError("--batch-tokens must be positive") }
            let batches = Self.pack(sequences, targetTokens: target)
            try pass(Array(batches.prefix(pool.count)), request: HiddenStateRequest(layers: []), sink: false) // warm-up
            var forward = Timing.slowest, withSink = Timing.slowest
            for _ in 0..<max(repeats, 1) {
                forward = min(
                    forward,
                    try Timing.measure {
                        try pass(batches, request: HiddenStateRequest(layers: []), sink: false)
                    })
                withSink = min(withSink, try Timing.measure { try pass(batches, request: .allLayers, sink: true) })
            }
            let tokens = Double(totalTokens)
            print(
                String(
                    format: "batch ~%5d tokens (%3d batches): forward %7.1f tokens/s (%7.1f per CPU-s) | "
                        + "forward + all %d layers to a sink %7.1f tokens/s (%7.1f per CPU-s)",
                    target, batches.count, tokens / forward.wall, tokens / forward.cpu, llama.numHiddenStates,
                    tokens / withSink.wall, tokens / withSink.cpu))
        }
    }

    /// Wall-clock and process CPU seconds of one timed pass; ordered by wall time. CPU time is reported too
    /// because the benchmark machine is shared: tokens per CPU-second is less sensitive to other load.
    struct Timing: Comparable {
        var wall: Double
        var cpu: Double
        static let slowest = Timing(wall: .infinity, cpu: .infinity)
        static func < (a: Timing, b: Timing) -> Bool { a.wall < b.wall }

        static func measure(_ body: () throws -> Void) rethrows -> Timing {
            let wallStart = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
            try body()
            return Timing(
                wall: Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9,
                cpu: processCPUSeconds() - cpuStart)
        }

        static func processCPUSeconds() -> Double {
            var usage = rusage()
            #if os(Linux)
                getrusage(RUSAGE_SELF.rawValue, &usage)
            #else
                getrusage(RUSAGE_SELF, &usage)
            #endif
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
    }

    /// Greedy packing in file order: a batch is closed when the next text would exceed `targetTokens`.
    static func pack(_ sequences: [[Int32]], targetTokens: Int) -> [[[Int32]]] {
        var batches: [[[Int32]]] = [], current: [[Int32]] = [], tokens = 0
        for sequence in sequences {
            if !current.isEmpty && tokens + sequence.count > targetTokens {
                batches.append(current)
                current = []
                tokens = 0
            }
            current.append(sequence)
            tokens += sequence.count
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    static func readTokenFile(_ path: String) throws -> [[Int32]] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw UsageError("--texts: cannot read \(path): \(error.localizedDescription)")
        }
        var sequences: [[Int32]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            sequences.append(
                try fields.map { field in
                    guard let id = Int32(field) else { throw UsageError("--texts: \(path):\(number + 1): '\(field)' is not a token id") }
                    return id
                })
        }
        guard !sequences.isEmpty else { throw UsageError("--texts: \(path) holds no texts") }
        return sequences
    }

    /// Copies every delivered row into a reusable buffer, as a capture sink would before encoding.
    final class CopyingSink: HiddenStateSink {
        private var buffer: [Float]
        init(hiddenSize: Int) { buffer = [Float](repeating: 0, count: hiddenSize * 4096) }
        func receive(layer: Int, sequence: Int, rows: UnsafeBufferPointer<Float>, tokens: Int) throws {
            if buffer.count < rows.count { buffer = [Float](repeating: 0, count: rows.count) }
            buffer.withUnsafeMutableBufferPointer { destination in
                _ = destination.update(fromContentsOf: rows)
            }
        }
    }
}
