import ArgumentParser
import Foundation
import Strata
import StrataUtilities

/// `strata stream`: the record order training would see, for checking ordering, partitioning
/// and resume, and for measuring streaming throughput.
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Stream one epoch of a dataset (shuffled, partitioned, resumable); --ids prints the record ids in training order.",
        discussion: """
            The order is a seeded uniform permutation of all records per (seed, epoch); rank r of w gets the
            contiguous r-th share of it, so the ranks together see every record exactly once. --stop-after N
            --save-state FILE stops after N records and saves the position; --resume-state FILE continues with
            exactly the remaining records (seed, epoch, rank and world default to the saved ones).
            A JSON summary (records, bytes, seconds, CPU seconds, records/s, MB/s, peak prefetch bytes, peak RSS) goes to stderr.
            """)

    @Argument(help: "Dataset directory or shard file.") var dataset: String
    @Option(name: .long, help: "Shuffle seed (default 0, or the resumed state's).") var seed: UInt64?
    @Option(name: .long, help: "Epoch number (default 0, or the resumed state's).") var epoch: Int?
    @Option(name: .long, help: "This worker's rank (default 0).") var rank: Int?
    @Option(name: .long, help: "Number of workers (default 1).") var world: Int?
    @Flag(name: .long, help: "Dataset order instead of shuffled.") var sequential = false
    @Flag(name: .long, help: "Equal shares: every rank gets floor(N/world) records; the last N mod world of the epoch order are left out.")
    var evenShares = false
    @Option(name: .long, help: "Stop after this many records.") var stopAfter: Int?
    @Option(name: .long, help: "Write the stream state here when stopping (or at the end).") var saveState: String?
    @Option(name: .long, help: "Also save the state every N records (ids printed so far are flushed first), so a killed run can resume.")
    var saveEvery: Int?
    @Option(name: .long, help: "Resume from a state written by --save-state.") var resumeState: String?
    @Flag(
        name: .long,
        help:
            "Print each record id, one per line, in order (as they are streamed: a failure part-way still leaves the ids before it printed)."
    ) var ids = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Layers to decode, as \(hiddenStateIndicesHelp): all, none, or a list such as 0,12,last or 0-4 (default: none with --ids, else all).",
            valueName: "indices"))
    var layers: LayerListArgument?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Layers to decode, as positions in the dataset's list of captured layers (0 = the first captured): all, none, or a list such as 0,2,last (instead of --layers).",
            valueName: "positions"))
    var layerPositions: LayerListArgument?
    @Option(name: .long, help: ArgumentHelp("Prefetch budget of decoded values, e.g. 256MiB. \(sizeRule)", valueName: "size"))
    var prefetch = ByteSize(bytes: 256 << 20)
    @Option(name: .long, help: "Background read/decode threads.") var threads: Int = 1
    @Option(name: .long, help: "Simulate a consumer that spends this many milliseconds per record (prefetch overlap, kill tests).")
    var stepMs: Double = 0

    func validate() throws {
        if let stopAfter, stopAfter < 0 { throw ValidationError("--stop-after must be >= 0") }
        guard prefetch.bytes >= 1 else { throw ValidationError("--prefetch must be a positive size like 64MiB (got '\(prefetch)')") }
        if layers != nil && layerPositions != nil {
            throw ValidationError("give --layers (hidden-state indices) or --layer-positions, not both")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1...64") }
        if let saveEvery {
            guard saveEvery >= 1 else { throw ValidationError("--save-every must be at least 1") }
            guard saveState != nil else { throw ValidationError("--save-every needs --save-state FILE") }
        }
        guard stepMs >= 0 else { throw ValidationError("--step-ms must be >= 0") }
    }

    func run() throws {
        let source = try StrataDataset(path: dataset)
        var options = StreamOptions()
        var resume: StreamState?
        if let resumeState {
            let state = try StreamState.load(from: resumeState)
            if sequential && state.shuffle {
                throw StreamError.stateMismatch(field: "shuffle", state: "true", requested: "false (--sequential)")
            }
            options.seed = seed ?? state.seed
            options.epoch = epoch ?? state.epoch
            options.rank = rank ?? state.rank
            options.world = world ?? state.world
            options.shuffle = state.shuffle
            options.evenShares = evenShares || (state.evenShares ?? false)
            resume = state
        } else {
            options.seed = seed ?? 0
            options.epoch = epoch ?? 0
            options.rank = rank ?? 0
            options.world = world ?? 1
            options.shuffle = !sequential
            options.evenShares = evenShares
        }
        if let layers {
            options.layers = try layers.streamSelection(of: source.metadata.layers, asPositions: false, flag: "--layers")
        } else if let layerPositions {
            options.layers = try layerPositions.streamSelection(of: source.metadata.layers, asPositions: true, flag: "--layer-positions")
        } else {
            options.layers = ids ? .none : .all
        }
        options.prefetchBytes = prefetch.bytes
        options.prefetchThreads = threads

        let stream = try StrataStream(source: source, options: options, resume: resume)
        defer { stream.close() }
        let start = Date()
        let cpuAtStart = ProcessResources.cpuSeconds
        var delivered = 0
        var valueBytes = 0
        // Ids reach stdout as they are streamed (in blocks), and those streamed before a failure are
        // printed before its error.
        var output = BufferedLineOutput()
        defer { output.flush() }
        let limit = stopAfter ?? Int.max
        while delivered < limit, let record = try stream.next() {
            delivered += 1
            valueBytes += record.values.count * MemoryLayout<Float>.size
            if stepMs > 0 { Thread.sleep(forTimeInterval: stepMs / 1000) }
            if ids { output.append(line: record.id) }
            if let saveEvery, let saveState, delivered % saveEvery == 0 {
                // Everything up to the saved position is printed before the state names it.
                output.flush()
                try stream.state.save(to: saveState)
            }
        }
        output.flush()
        let seconds = Date().timeIntervalSince(start)
        if let saveState { try stream.state.save(to: saveState) }

        let cpuSeconds = ProcessResources.cpuSeconds - cpuAtStart
        let summary: [String: Any] = [
            "cpu_seconds": cpuSeconds,
            "records": delivered,
            "value_bytes": valueBytes,
            "seconds": seconds,
            "records_per_s": seconds > 0 ? Double(delivered) / seconds : 0,
            "mb_per_s": seconds > 0 ? Double(valueBytes) / 1e6 / seconds : 0,
            "prefetch_budget_bytes": options.prefetchBytes,
            "peak_prefetch_bytes": stream.peakPrefetchedBytes,
            "peak_rss_bytes": ProcessResources.peakResidentBytes ?? -1,
            "position": stream.state.position,
            "remaining": stream.remaining,
            "epoch": options.epoch, "rank": options.rank, "world": options.world
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        FileHandle.standardError.write(json + Data("\n".utf8))
    }
}
