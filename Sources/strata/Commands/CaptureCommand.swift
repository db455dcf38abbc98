import ArgumentParser
import Foundation
import Strata
import StrataCapture
import StrataModel
import StrataUtilities

/// `strata capture`: run a GGUF model over a text file and store every requested layer's hidden states.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Run a GGUF model over texts (.jsonl or .csv) and store their hidden states as a Strata dataset.",
        discussion: """
            Texts are tokenised with the model's own tokenizer and packed several to a forward batch \
            (--batch-tokens); records are written in input order with their id, label, token ids, text \
            and source row. Layers follow Hugging Face output_hidden_states: 0 = embeddings, l = output of \
            block l, the last = after the final norm.

            Bad rows (malformed, empty, not UTF-8, longer than --max-tokens or --max-row-bytes, bad label, \
            duplicate id) are skipped and counted per reason (listed in DIR/capture-report.json with an \
            excerpt), or with --on-bad-row fail stop the run before the model starts, naming the file and row. \
            If no row at all can be captured, the run fails before the model starts, naming the most frequent \
            reason and the first bad row. An input (or --shard) with no data rows is an error unless \
            --allow-empty.

            Distributed: --shard i/n keeps data row r (1-based; blank JSONL lines and the CSV header are \
            not rows) when (r - 1) mod n = i, so n workers (Slurm array: --shard $SLURM_ARRAY_TASK_ID/N; \
            Kubernetes Indexed Job: $JOB_COMPLETION_INDEX/N) write disjoint datasets that together cover \
            the input. Give each its own --out; `strata merge` combines them.

            --chat-template wraps each text as a user turn in the model's chat template (ChatML, with the \
            template's default system message unless --system) before tokenising — exactly the prompt \
            `strata generate` feeds the model — so a guard probe for `generate --guard` or \
            `classify --chat-template` trains on what it will see when serving. Records keep the text as \
            read; their token ids are the templated prompt's, and the dataset metadata records the \
            template (capture.chat_template, capture.chat_system); `strata train` copies it into the probe.

            Interrupted (even by kill -9)? Rerun the same command with --resume: unsealed part files are \
            recovered, records already captured are skipped, and the run continues in a new part file.

            Output: DIR/manifest.json (rewritten at every checkpoint and at the end), part files \
            DIR/<capture|capture-s<i>of<n>>.part-NNNNN.strata, DIR/capture-report.json.
            """)

    @OptionGroup var model: ModelOption
    @Option(help: "Input texts: .jsonl (one JSON object per line) or .csv with a header row.") var input: String
    @Option(help: "Output dataset directory (must be empty or absent unless --resume).") var out: String
    @Option(help: "Field holding the text.") var textField = "text"
    @Option(help: "Field holding the label (integer, or a name from --label-names); absent = unlabelled.") var labelField = "label"
    @Option(help: "Field holding the record id (default when absent: row-<n>).") var idField = "id"
    @Option(
        help: ArgumentHelp(
            "Layers to keep, as \(hiddenStateIndicesHelp): 'all', or indices and ranges such as 0,5,10 or 0-4,last.",
            valueName: "indices"))
    var layers = LayerListArgument.all
    @Option(
        help:
            "Stored dtype: bf16, f16, f32, or q8 (lossy: int8 + per-vector scale + exact outlier channels, spec/FORMAT.md §5.1; the shard records the bound, not the measured errors, which `strata convert` of a bf16 capture records too)."
    )
    var dtype: StrataDType = .bf16
    @Option(
        name: .long,
        help:
            "q8: the bound on every vector's relative L2 error (default 0.01); a vector that cannot meet it fails the record naming layer and token."
    )
    var maxRelError: Double = QuantizationInfo.defaultQ8MaxRelError
    @Flag(help: "Wrap each text as a user turn in the model's chat template, as `strata generate` does.")
    var chatTemplate = false
    @Option(help: "System message for --chat-template (default: the template's, as `strata generate`).") var system: String?
    @Option(
        help:
            "Longest text in tokens, chat template included (default: the model's context length); longer texts are skipped unless --truncate."
    )
    var maxTokens: Int?
    @Flag(help: "Keep the first --max-tokens tokens of longer texts instead of skipping them.") var truncate = false
    @Option(help: ArgumentHelp("Capture only shard i of n (integers, 0 <= i < n): rows with (row - 1) mod n = i.", valueName: "i/n"))
    var shard: CaptureShard?
    @Flag(help: "Continue a capture in --out that was interrupted; never duplicates or rewrites records.") var resume = false
    @Flag(
        help: """
            Also store the last position's next-token log-probabilities as the auxiliary vector \
            'next_token_logprobs' (for the logit-only baseline). Costs vocab × 4 bytes per record, uncompressed: \
            196,608 bytes for a 49,152-token vocabulary (about 2 GB per 10,000 records).
            """) var saveLogits = false
    @Option(
        help:
            "Tokens per packed forward batch; a longer text runs alone. With several workers, smaller batches keep every worker busy to the end of the input."
    ) var batchTokens = 512
    @Option(help: "Bad input rows: skip (count and list them) or fail (stop, naming file and row).") var onBadRow: BadRowPolicy = .skip
    @Flag(help: "Accept an input (or --shard) with no data rows and write an empty dataset instead of failing.") var allowEmpty = false
    @Option(
        help: ArgumentHelp(
            """
            Skip input rows longer than this size as too_long, without reading them into memory or tokenising \
            them. Texts that cannot fit --max-tokens are not tokenised either. \(sizeRule)
            """, valueName: "size")) var maxRowBytes = ByteSize(bytes: 16 << 20)
    @Option(help: "zstd compression level (1-22); 1 was faster and as compact as 3 on hidden states.") var zstdLevel = 1
    @Option(help: "Class names, comma-separated: label k means the k-th name; string labels are mapped through them.")
    var labelNames: String?
    @Option(help: ArgumentHelp("Seal a part file and start a new one at this size. \(sizeRule)", valueName: "size"))
    var partSize = ByteSize(bytes: 1 << 30)
    @Option(help: "Seal the part file and rewrite manifest.json at least this often (seconds).") var checkpointInterval: Double = 600
    @Flag(
        inversion: .prefixedNo,
        help: """
            Compress and write batch k on a background thread while the model computes batch k+1. Off by default: \
            it costs CPU when BLAS already uses every core; use it with --workers below the core count. (With \
            several workers, writing already runs alongside them.)
            """)
    var overlap = false
    @Option(
        help: """
            Forward passes run at once, one packed batch each, sharing the weights (default: one per core). \
            Records are written in input order and every matrix product runs on one BLAS thread, so the dataset \
            is byte-identical for any --workers and --threads on the same machine.
            """) var workers: Int?
    @Option(
        help: """
            Threads of each worker for the steps between matrix products: norms, RoPE, attention (default: \
            cores / workers, i.e. 1 with the default workers). Products always run on one BLAS thread per worker.
            """) var threads: Int?
    @Option(help: "Progress line interval in seconds (0 = none).") var progressInterval: Double = 1
    @Option(
        help: """
            Measure only, write nothing: 'forward' runs the forward pass alone, 'assemble' also assembles \
            every record's hidden states (all but compression and writing).
            """) var dryRun: CaptureOptions.DryRun?

    func validate() throws {
        guard maxRowBytes.bytes > 0 else {
            throw ValidationError("--max-row-bytes must be a positive size such as 16MiB (got '\(maxRowBytes)')")
        }
        guard partSize.bytes > 0 else {
            throw ValidationError("--part-size must be a positive size such as 512MiB or 2GiB (got '\(partSize)')")
        }
    }

    func run() throws {
        var options = CaptureOptions(modelPath: model.path, inputPath: input, outputDirectory: out)
        options.fields = TextFields(text: textField, label: labelField, id: idField)
        options.labelNames = labelNames.map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        options.layers = try LayerSelection(parsing: layers.text)
        options.dtype = dtype
        options.maxRelError = maxRelError
        options.chatTemplate = chatTemplate
        options.chatSystem = system
        options.maxTokens = maxTokens
        options.truncate = truncate
        if let shard { options.shard = shard }
        options.resume = resume
        options.saveLogits = saveLogits
        options.batchTokens = batchTokens
        options.badRowPolicy = onBadRow
        options.allowEmpty = allowEmpty
        options.maxRowBytes = maxRowBytes.bytes
        options.zstdLevel = zstdLevel
        options.partBytes = partSize.bytes
        options.checkpointSeconds = checkpointInterval
        options.overlapWriting = overlap
        options.workers = workers
        options.threads = threads
        options.dryRun = dryRun

        let job = CaptureJob(options: options)
        let line = ProgressLine()
        job.log = { message in line.message(message) }
        job.progressInterval = progressInterval
        job.progress = { snapshot in line.update(snapshot.line) }
        let report = try job.run()
        line.finish()
        line.message(report.summary)
        if options.dryRun == nil { print(out) }
    }
}

/// The stderr progress line: rewritten in place on a terminal, one line per update otherwise.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var showing = false

    func update(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal {
            write("\r\u{1B}[K" + text)
            showing = true
        } else {
            write(text + "\n")
        }
    }

    /// A message on its own line (ends an in-place progress line first).
    func message(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        endLine()
        write(text + "\n")
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        endLine()
    }

    private func endLine() {
        if showing { write("\n"); showing = false }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
