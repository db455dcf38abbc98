import ArgumentParser
import Foundation
import Strata
import StrataHDF5

/// `strata import-hdf5 IN.h5 OUT`: an HDF5 file of activations as a Strata shard.
struct ImportHDF5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-hdf5",
        abstract:
            "Convert activations stored in HDF5 (ragged + offsets/lengths, padded + lengths/mask, or one group per example) to a Strata shard.",
        discussion: """
            Without options the layout is detected from conventional names (hidden_states, offsets, \
            lengths, attention_mask, labels, token_ids, ids, texts, auxiliary/) and shapes; a file that \
            fits no layout gets an error listing its datasets. A dataset found by its name that does not \
            fit the records (labels or token ids of the wrong length, say) is an error naming it, never \
            dropped: pass --ignore to leave it out. Sizes are checked against the format's limits \
            (spec/FORMAT.md §10) before anything is read. gzip, shuffle and zstd (32015) compressed \
            files read without any plugin.
            """)

    @Argument(help: "The HDF5 file to read.")
    var input: String

    @Argument(help: "The Strata shard file to write (an existing one is replaced only once the new shard is complete).")
    var output: String

    @Option(name: .long, help: "Path of the activation dataset.")
    var data: String?

    @Option(name: .long, help: "N+1 cumulative token offsets of a token-concatenated array.")
    var offsets: String?

    @Option(name: .long, help: "N token counts (ragged or padded).")
    var lengths: String?

    @Option(name: .long, help: "[N, T] attention mask of a padded array (1 = token).")
    var mask: String?

    @Option(name: .long, help: "Labels dataset ([N] or [N, k] integers, or strings).")
    var labels: String?

    @Option(name: .long, help: "Token ids dataset.")
    var tokenIds: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A dataset detection must leave alone (repeatable), e.g. --ignore /labels when a dataset named like labels or token ids is something else.",
            valueName: "dataset"))
    var ignore: [String] = []

    @Option(name: .long, help: "Axis order of the activation dataset, e.g. tokens,layers,hidden or records,layers,tokens,hidden.")
    var layout: String?

    @Flag(name: .long, help: "The activations are uint16 bfloat16 bit patterns.")
    var bf16 = false

    @Flag(name: .customLong("allow-float64"), help: "Accept float64 activations, converted to float32 (lossy).")
    var allowFloat64 = false

    @Option(name: .long, help: "zstd level of the Strata blocks (1 compresses hidden states as well as 3, twice as fast).")
    var level: Int = 1

    @Option(
        name: .long,
        help:
            "Stored dtype: the file's own (default: f32, f16 or bf16 bit for bit) or q8 (lossy, spec/FORMAT.md §5.1; HDF5 chunks are then decoded, not copied)."
    )
    var dtype: StrataDType?

    @Option(
        name: .long,
        help:
            "q8: the bound on every vector's relative L2 error (default 0.01); a vector that cannot meet it fails the import naming record, layer and token."
    )
    var maxRelError: Double = QuantizationInfo.defaultQ8MaxRelError

    func run() throws {
        var options = HDF5ImportOptions()
        options.dataName = data
        options.labelsName = labels
        options.tokenIDsName = tokenIds
        options.ignoredDatasets = Set(ignore)
        let boundaries = [
            offsets.map(HDF5RecordBoundaries.offsets), lengths.map(HDF5RecordBoundaries.lengths),
            mask.map(HDF5RecordBoundaries.mask)
        ].compactMap { $0 }
        guard boundaries.count <= 1 else { throw ValidationError("give at most one of --offsets, --lengths, --mask") }
        options.boundaries = boundaries.first
        options.layout = try layout.map(HDF5Axis.parseOrder)
        options.uint16IsBF16 = bf16
        options.allowFloat64Downcast = allowFloat64
        switch dtype {
        case nil: break
        case .q8?: options.q8MaxRelError = maxRelError
        case let other?:
            throw ValidationError(
                "--dtype \(other.rawValue): import-hdf5 keeps the file's own dtype; --dtype takes only q8 (use strata convert for other dtypes)"
            )
        }
        var writerOptions = WriterOptions()
        writerOptions.zstdLevel = level
        let started = Date()
        let report = try HDF5Importer.importFile(at: input, to: output, options: options, writerOptions: writerOptions)
        let seconds = Date().timeIntervalSince(started)
        print("detected: \(report.layout)")
        print(
            "imported \(report.records) records (\(report.tokens) tokens, \(report.valueBytes) value bytes) to \(output) in "
                + String(format: "%.2f s", seconds))
        if let e = report.relError {
            print(
                String(
                    format:
                        "stored as q8: relative L2 error per vector mean %.4g, p50 %.4g, p99 %.4g, max %.4g over %d vectors (the shard records the bound; strata convert records these figures too)",
                    e.mean, e.p50, e.p99, e.max, e.vectors))
        }
        if report.chunksCopied > 0 {
            print(
                "copied \(report.chunksCopied) HDF5 chunks as Strata blocks without re-encoding (\(report.recordsCopied) of \(report.records) records)"
            )
        }
    }
}
