import ArgumentParser
import Foundation
import Strata

/// `strata convert`: re-encode a shard or dataset in another dtype (bf16 → q8 is the usual one).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract:
            "Re-encode a shard or dataset in another dtype (e.g. bf16 -> q8), keeping ids, labels, token ids, text, metadata and auxiliary vectors.",
        discussion: """
            A shard file becomes a shard file at --out (written as OUT.partial-PID and renamed into place when complete; an existing \
            OUT is left as it was by a failed run). A dataset directory becomes a new dataset directory (absent or empty) with one \
            shard per input shard and a manifest.json written last. The output is locked while it is written; the input's \
            whole-file checksums are checked first (spec/FORMAT.md §11).

            q8 is lossy: int8 codes with one absmax scale per (layer, token) vector and, per block, the k channels of largest \
            magnitude kept exactly as bf16, k chosen as the smallest at which every vector's relative L2 error ||x - x'|| / ||x|| \
            is within --max-rel-error (spec/FORMAT.md §5.1). Each output shard is written in two passes: the first measures the \
            errors without writing, so a vector over the bound (or holding NaN/Inf) fails the command naming its record, layer and \
            token before that shard is written (for a dataset, shards already converted stay without a manifest and a rerun reports the directory as unfinished), and the shard's metadata records the distribution (quantization.rel_error: mean, p50, \
            p99, max; `strata inspect --json` shows it). Progress goes to stderr.
            """)

    @Argument(help: "Input shard file or dataset directory.") var input: String
    @Option(name: .long, help: "Output shard file (for a shard input) or new dataset directory (for a dataset input).") var out: String
    @Option(name: .long, help: "Stored dtype of the output: f32, f16, bf16 or q8 (lossy).") var dtype: StrataDType
    @Option(
        name: .long,
        help:
            "q8: the bound on every vector's relative L2 error (default 0.01 = 1 %); k widens up to 64 outlier channels to meet it, else the command fails."
    )
    var maxRelError: Double = QuantizationInfo.defaultQ8MaxRelError
    @Option(name: .long, help: "zstd level (default: the input's).") var zstdLevel: Int?
    @Option(name: .long, help: "Threads compressing each record's blocks (0 = one per core).") var threads: Int = 0

    func validate() throws {
        guard maxRelError.isFinite, maxRelError >= 0 else { throw ValidationError("--max-rel-error must be a finite number >= 0") }
        if let zstdLevel, !(1...22).contains(zstdLevel) { throw ValidationError("--zstd-level must be in 1...22") }
        guard threads >= 0 else { throw ValidationError("--threads must be >= 0") }
    }

    func run() throws {
        var options: WriterOptions?
        if zstdLevel != nil || threads != 0 {
            let source = try StrataDataset(path: input)
            var o = WriterOptions(
                zstdLevel: zstdLevel ?? source.metadata.codec?.level ?? 1,
                blockTargetBytes: source.metadata.codec?.blockTargetBytes ?? 256 * 1024,
                layersPerBlock: source.metadata.codec?.layersPerBlock)
            o.compressionThreads = threads
            options = o
        }
        var lastReport = Date()
        let start = Date()
        let report = try DatasetConvert.convert(input: input, output: out, dtype: dtype, maxRelError: maxRelError, options: options) {
            pass, done, total in
            guard Date().timeIntervalSince(lastReport) >= 1 || done == total else { return }
            lastReport = Date()
            FileHandle.standardError.write("convert: \(pass): \(done)/\(total) records\n".data(using: .utf8)!)
        }
        var line =
            "convert: wrote \(report.records) records in \(report.shards) shard\(report.shards == 1 ? "" : "s") to \(out) as \(dtype.rawValue): "
            + "\(report.outputBytes) bytes (input \(report.inputBytes) bytes, \(String(format: "%.3f", Double(report.inputBytes) / Double(max(1, report.outputBytes))))× smaller) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s"
        if let e = report.relError {
            line += String(
                format: "; relative L2 error per vector: mean %.4g, p50 %.4g, p99 %.4g, max %.4g over %d vectors", e.mean, e.p50, e.p99,
                e.max, e.vectors)
        }
        print(line)
    }
}
