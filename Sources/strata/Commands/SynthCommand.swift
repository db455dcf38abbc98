import ArgumentParser
import Foundation
import Strata

/// `strata synth`: write a shard of seeded synthetic hidden states with the real ShardWriter.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract:
            "Write a shard of seeded synthetic hidden states (residual-stream-like: depth-growing scale, outlier channels, token correlation)."
    )

    @Option(name: .long, help: "Output shard path (replaced when the new shard is complete).") var out: String
    @Option(name: .long, help: "Number of records.") var records: Int
    @Option(name: .long, help: "Minimum tokens per record.") var minTokens: Int = 16
    @Option(name: .long, help: "Maximum tokens per record.") var maxTokens: Int = 64
    @OptionGroup var layerCount: LayerCountOption
    @Option(name: .long, help: "Hidden size.") var hidden: Int = 576
    @Option(
        name: .long,
        help:
            "Stored dtype: f32, f16, bf16, or q8 (lossy, spec/FORMAT.md §5.1: measured in a first pass, so the shard's metadata records the error figures)."
    )
    var dtype: StrataDType = .bf16
    @Option(name: .long, help: "q8: the bound on every vector's relative L2 error (default 0.01).") var maxRelError: Double =
        QuantizationInfo.defaultQ8MaxRelError
    @Option(name: .long, help: "Random seed.") var seed: UInt64 = 0
    @Option(name: .long, help: "Number of label classes (0 = unlabelled).") var labels: Int = 0
    @Option(name: .long, help: "Record id prefix (ids are PREFIX0, PREFIX1, ...).") var idPrefix: String = ""
    @Option(name: .long, help: "zstd level (default 1: faster and as small as 3 on residual streams).") var zstdLevel: Int = 1
    @Option(name: .long, help: "Block target size in bytes (uncompressed).") var blockSize: Int = 256 * 1024
    @Option(name: .long, help: "Layers per block (default: derived from the block size).") var layersPerBlock: Int?
    @Option(name: .long, help: "Threads compressing each record's blocks (0 = one per core).") var threads: Int = 0
    @Flag(name: .long, help: "fsync after every record.") var syncEveryRecord = false

    func validate() throws {
        guard records >= 0 else { throw ValidationError("--records must be >= 0") }
        guard minTokens >= 1, maxTokens >= minTokens else { throw ValidationError("need 1 <= --min-tokens <= --max-tokens") }
        guard hidden >= 1 else { throw ValidationError("--hidden must be >= 1") }
        guard labels >= 0 else { throw ValidationError("--labels must be >= 0") }
        guard threads >= 0 else { throw ValidationError("--threads must be >= 0") }
    }

    var layers: Int { layerCount.count }

    func run() throws {
        let type = dtype
        let synth = SyntheticStates(
            layers: layers, hidden: hidden, seed: seed, minTokens: minTokens, maxTokens: maxTokens,
            labelCount: labels, idPrefix: idPrefix)
        let options = WriterOptions(
            zstdLevel: zstdLevel, blockTargetBytes: blockSize, layersPerBlock: layersPerBlock, syncEveryRecord: syncEveryRecord,
            compressionThreads: threads)
        let start = Date()
        try FileReplacement(target: out).write { partial in
            try write(synth, dtype: type, options: options, to: partial)
        }
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(
            "synth: wrote \(records) records to \(out) in \(String(format: "%.2f", seconds)) s\n".data(using: .utf8)!)
    }

    private func write(_ synth: SyntheticStates, dtype type: StrataDType, options: WriterOptions, to path: String) throws {
        var metadata = synth.metadata(dtype: type)
        var values: [Float] = []
        if type == .q8 {
            metadata.quantization = .q8(maxRelError: maxRelError)
            let survey = try Q8ErrorSurvey(metadata: metadata, options: options)
            for i in 0..<records {
                let record = synth.record(i, values: &values)
                try values.withUnsafeBufferPointer { try survey.add(record, values: .f32($0)) }
            }
            metadata.quantization?.relError = survey.summary
        }
        let writer = try ShardWriter(path: path, metadata: metadata, options: options)
        var lastReport = Date()
        for i in 0..<records {
            let record = synth.record(i, values: &values)
            try values.withUnsafeBufferPointer { try writer.append(record, values: .f32($0)) }
            if Date().timeIntervalSince(lastReport) >= 1 {
                lastReport = Date()
                FileHandle.standardError.write("synth: \(i + 1)/\(records) records, \(writer.byteCount) bytes\n".data(using: .utf8)!)
            }
        }
        try writer.close()
    }
}
