import ArgumentParser
import Foundation
import Strata

/// `strata bench format`: write/read throughput and compression of the Strata format on synthetic
/// hidden states (a benchmark, not a test). Prints a markdown table.
struct BenchFormatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "format",
        abstract: "Benchmark Strata write MB/s, read MB/s, one-layer read MB/s and compression ratio on synthetic data.",
        discussion: """
            MB/s are 10^6 bytes of uncompressed stored-dtype values (layers × tokens × hidden × width) per second; \
            for q8 the width counts as 2 (bf16-equivalent bytes, so q8 and bf16 figures compare directly, and q8's ratio is against raw bf16). \
            Writes start from the stored dtype (bf16 for q8) (--input stored, like the h5py script) or f32 buffers (--input f32) and include shuffle, zstd, \
            checksums and the final fsync. Reads return f32 (readFloat into a reused buffer) from a warm page cache. \
            Single-thread figures use the thread's CPU time, so they hold on a shared machine; wall time is shown too.
            """)

    @Option(name: .long, help: "Records per shard.") var records: Int = 48
    @Option(name: .long, help: "Minimum tokens per record.") var minTokens: Int = 32
    @Option(name: .long, help: "Maximum tokens per record.") var maxTokens: Int = 128
    @OptionGroup var layerCount: LayerCountOption
    @Option(name: .long, help: "Hidden size.") var hidden: Int = 576
    @Option(name: .long, help: ArgumentHelp("Comma-separated stored dtypes (f32, f16, bf16, q8).", valueName: "dtypes")) var dtypes =
        CommaSeparated<StrataDType>([.f32, .f16, .bf16])
    @Option(name: .long, help: "q8 only: the bound on each vector's relative L2 error.") var maxRelError: Double = QuantizationInfo
        .defaultQ8MaxRelError
    @Option(name: .long, help: ArgumentHelp("Comma-separated zstd levels.", valueName: "levels")) var levels = CommaSeparated<Int>([1, 3])
    @Option(name: .long, help: "Block target bytes.") var blockSize: Int = 256 * 1024
    @Option(name: .long, help: "Layers per block (default: derived).") var layersPerBlock: Int?
    @Option(name: .long, help: "Repetitions of each read pass (best is reported).") var repeats: Int = 3
    @Option(name: .long, help: "Seed.") var seed: UInt64 = 1
    @Option(name: .long, help: "Directory for the benchmark shards (default: a temp dir, removed afterwards).") var dir: String?
    @Option(
        name: .long,
        help:
            "Benchmark on the first --records records of this shard or dataset (e.g. real captured states) instead of synthetic data; --layer-count/--hidden/--*-tokens are then taken from it."
    )
    var from: String?
    @Option(
        name: .long,
        help:
            "Writer input: 'stored' (values already in the stored dtype, like the h5py comparison) or 'f32' (a forward pass's f32 buffers; includes the conversion)."
    )
    var input: BenchWriterInput = .stored
    @Flag(
        name: .long,
        help: "Also time each codec stage (conversion, shuffle, zstd, CRC, unshuffle) on one 256 KiB-ish block, in thread CPU time.")
    var stages = false
    @Option(
        name: .long,
        help:
            "Also write the synthetic values (stored dtype, layer-major per record) and a JSON index here, for benchmarks/bench_hdf5_format.py."
    )
    var exportRaw: String?

    var layers: Int { layerCount.count }

    func run() throws {
        let types = dtypes.values
        let levelList = levels.values
        let workDir = dir ?? NSTemporaryDirectory() + "strata-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: workDir) } }

        let synth = SyntheticStates(layers: layers, hidden: hidden, seed: seed, minTokens: minTokens, maxTokens: maxTokens, labelCount: 2)
        var inputs: [RecordInput] = []
        var values: [[Float]] = []
        var layers = self.layers, hidden = self.hidden
        var sourceMetadata: StrataMetadata?
        if let from {
            let source = try StrataDataset(path: from)
            layers = source.metadata.layers.count
            hidden = source.metadata.hidden
            sourceMetadata = source.metadata
            for i in 0..<min(records, source.count) {
                let info = try source.info(i)
                inputs.append(
                    RecordInput(id: info.id, labels: info.labels, tokenIDs: info.tokenIDs, text: info.text, metadata: info.metadata))
                values.append(try source.readFloat(i))
            }
        } else {
            for i in 0..<records {
                var v: [Float] = []
                inputs.append(synth.record(i, values: &v))
                values.append(v)
            }
        }
        func metadata(_ type: StrataDType) -> StrataMetadata {
            var m = sourceMetadata ?? synth.metadata(dtype: type)
            m.dtype = type
            m.auxiliary = []
            m.quantization = type == .q8 ? .q8(maxRelError: maxRelError) : nil
            return m
        }
        let totalTokens = inputs.reduce(0) { $0 + $1.tokenIDs.count }
        let maxRecord = values.map(\.count).max() ?? 0
        print("Writer input: \(input == .stored ? "values already in the stored dtype" : "f32 buffers (conversion included)")")
        print(
            "\(from.map { "Data: \($0) (\(sourceMetadata?.dtype.rawValue ?? "?") as captured)" } ?? "Synthetic data"): \(values.count) records, \(totalTokens) tokens, \(layers) layers × \(hidden) hidden, seed \(seed); block target \(blockSize) B, layers/block \(layersPerBlock.map(String.init) ?? "auto")"
        )
        if stages {
            let sample = Array(values[0].prefix(max(1, blockSize / 4) * 4 / 4))
            print("")
            print("| dtype | stage | MB/s (thread CPU) |")
            print("|---|---|---|")
            for type in types {
                for (stage, bytes, s) in try CodecStageTimings.measure(
                    values: Array(sample.prefix(blockSize / type.byteWidth)), dtype: type, level: levelList.first ?? 1, repeats: 20)
                {
                    print("| \(type.rawValue) | \(stage) | \(String(format: "%.0f", Double(bytes) / s / 1e6)) |")
                }
            }
        }
        print("")
        print(
            "MB/s: thread CPU time (wall time in parentheses; wall is inflated when other processes share the cores). Load average now: \(loadAverage())"
        )
        print("")
        print(
            "| dtype | zstd | ratio | write MB/s, 1 thread | read MB/s, 1 thread | one-layer read MB/s, 1 thread | write MB/s, all cores (wall) | read MB/s, all cores (wall) | all-core CPU ÷ 1-thread CPU (write / read) |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, maxRecord))
        defer { output.deallocate() }
        for type in types {
            let rawBytes = totalTokens * layers * hidden * type.byteWidth
            if let exportRaw { try export(values: values, inputs: inputs, dtype: type, to: exportRaw) }
            for level in levelList {
                let path = workDir + "/bench-\(type.rawValue)-z\(level).strata"
                var options = WriterOptions(zstdLevel: level, blockTargetBytes: blockSize, layersPerBlock: layersPerBlock)
                options.syncEveryRecord = false
                // The writer's input, prepared outside the timed region.
                let inputType: StrataDType = type == .q8 ? .bf16 : type
                let narrow: [[UInt16]] =
                    input == .stored && type != .f32
                    ? values.map { v in
                        var bits = [UInt16](repeating: 0, count: v.count)
                        v.withUnsafeBufferPointer { s in
                            bits.withUnsafeMutableBufferPointer { d in
                                if inputType == .bf16 { StrataConvert.f32ToBF16(s, d) } else { StrataConvert.f32ToF16(s, d) }
                            }
                        }
                        return bits
                    } : []
                func appendRecord(_ w: ShardWriter, _ i: Int) throws {
                    if narrow.isEmpty {
                        try values[i].withUnsafeBufferPointer { try w.append(inputs[i], values: .f32($0)) }
                    } else {
                        try narrow[i].withUnsafeBufferPointer { try w.append(inputs[i], values: inputType == .bf16 ? .bf16($0) : .f16($0)) }
                    }
                }
                // Single-thread write (thread CPU time), then a write compressing blocks on every core (wall time).
                options.compressionThreads = 1
                let c0 = threadCPUSeconds(), t0 = DispatchTime.now()
                let writer = try ShardWriter(path: path, metadata: metadata(type), options: options)
                for i in 0..<values.count { try appendRecord(writer, i) }
                try writer.close()
                let writeCPU = threadCPUSeconds() - c0
                let writeWall = seconds(since: t0)
                options.compressionThreads = 0
                let t1 = DispatchTime.now(), p1 = processCPUSeconds()
                let parallelWriter = try ShardWriter(path: path + ".parallel", metadata: metadata(type), options: options)
                for i in 0..<values.count { try appendRecord(parallelWriter, i) }
                try parallelWriter.close()
                let parallelWriteWall = seconds(since: t1)
                let parallelWriteCPU = processCPUSeconds() - p1
                try? FileManager.default.removeItem(atPath: path + ".parallel")
                let fileBytes = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int

                let reader = try ShardReader(path: path)
                /// Best (wall, thread CPU) seconds over the repeats.
                func pass(_ body: (Int) throws -> Void) throws -> (wall: Double, cpu: Double) {
                    var best = (wall: Double.infinity, cpu: Double.infinity)
                    for _ in 0..<max(1, repeats) {
                        let t = DispatchTime.now(), c = threadCPUSeconds()
                        for i in 0..<reader.count { try body(i) }
                        best = (min(best.wall, seconds(since: t)), min(best.cpu, threadCPUSeconds() - c))
                    }
                    return best
                }
                reader.parallelThresholdBytes = .max
                let serial = try pass { i in
                    let n = try reader.tokenCount(i) * layers * hidden
                    try reader.readFloat(i, layers: nil, tokens: nil, into: UnsafeMutableBufferPointer(rebasing: output[0..<n]))
                }
                reader.parallelThresholdBytes = 512 * 1024
                let p2 = processCPUSeconds()
                let parallel = try pass { i in
                    let n = try reader.tokenCount(i) * layers * hidden
                    try reader.readFloat(i, layers: nil, tokens: nil, into: UnsafeMutableBufferPointer(rebasing: output[0..<n]))
                }
                let parallelReadCPU = (processCPUSeconds() - p2) / Double(max(1, repeats))
                reader.parallelThresholdBytes = .max
                let before = reader.blocksDecoded
                let oneLayer = try pass { i in
                    let n = try reader.tokenCount(i) * hidden
                    try reader.readFloat(i, layers: [layers / 2], tokens: nil, into: UnsafeMutableBufferPointer(rebasing: output[0..<n]))
                }
                let oneLayerBlocks = (reader.blocksDecoded - before) / max(1, repeats)
                let oneLayerBytes = totalTokens * hidden * type.byteWidth
                let mb = { (bytes: Int, s: Double) in String(format: "%.0f", Double(bytes) / s / 1e6) }
                print(
                    "| \(type.rawValue) | \(level) | \(String(format: "%.3f", Double(rawBytes) / Double(fileBytes))) | \(mb(rawBytes, writeCPU)) (\(mb(rawBytes, writeWall))) | \(mb(rawBytes, serial.cpu)) (\(mb(rawBytes, serial.wall))) | \(mb(oneLayerBytes, oneLayer.cpu)) (\(mb(oneLayerBytes, oneLayer.wall))), \(oneLayerBlocks) blocks | \(mb(rawBytes, parallelWriteWall)) | \(mb(rawBytes, parallel.wall)) | \(String(format: "%.2f / %.2f", parallelWriteCPU / writeCPU, parallelReadCPU / serial.cpu)) |"
                )
                fflush(stdout)
            }
        }
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "n/a"
    }

    private func seconds(since t: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9
    }

    /// Writes the values in the stored dtype (layer-major per record, records concatenated) plus a JSON
    /// description, so another tool can store exactly the same numbers.
    private func export(values: [[Float]], inputs: [RecordInput], dtype: StrataDType, to dir: String) throws {
        guard !dtype.isLossy else { throw ValidationError("--export-raw writes stored values; q8 has no per-value stored form") }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/synth-\(dtype.rawValue).bin"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for v in values {
            switch dtype {
            case .f32:
                handle.write(v.withUnsafeBytes { Data($0) })
            case .bf16, .f16, .q8:
                var bits = [UInt16](repeating: 0, count: v.count)
                v.withUnsafeBufferPointer { s in
                    bits.withUnsafeMutableBufferPointer { d in
                        if dtype == .bf16 { StrataConvert.f32ToBF16(s, d) } else { StrataConvert.f32ToF16(s, d) }
                    }
                }
                handle.write(bits.withUnsafeBytes { Data($0) })
            }
        }
        let info: [String: Any] = [
            "dtype": dtype.rawValue, "layers": layers, "hidden": hidden,
            "tokens": inputs.map { $0.tokenIDs.count }, "layout": "per record: layers x tokens x hidden, little-endian"
        ]
        try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]).write(
            to: URL(fileURLWithPath: dir + "/synth-\(dtype.rawValue).json"))
    }
}
