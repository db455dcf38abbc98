import Strata
import StrataUtilities

/// Everything a capture job needs to know; the CLI maps its flags onto this one to one.
public struct CaptureOptions: Sendable {
    /// The GGUF model (weights and tokenizer).
    public var modelPath: String
    /// `.jsonl` or `.csv` input (see `TextRecordReader`).
    public var inputPath: String
    /// The output dataset directory.
    public var outputDirectory: String
    public var fields = TextFields()
    /// Class names; label value k means `labelNames[k]`. String labels in the input are mapped through it.
    public var labelNames: [String]?
    public var layers: LayerSelection = .all
    /// Stored element type.
    public var dtype: StrataDType = .bf16
    /// q8 only: the bound on every vector's relative L2 error (spec/FORMAT.md §5.1).
    public var maxRelError = QuantizationInfo.defaultQ8MaxRelError
    /// Wrap each text as a user turn in the model's chat template before tokenising, exactly as
    /// `strata generate` builds its prompt (so a guard probe trains on what it will see when serving).
    public var chatTemplate = false
    /// System message for `chatTemplate` (nil = the template's default, as `strata generate`).
    public var chatSystem: String?
    /// Longest text in tokens (chat template included); nil = the model's context length.
    public var maxTokens: Int?
    /// Keep the first `maxTokens` tokens of longer texts instead of skipping them.
    public var truncate = false
    public var shard: CaptureShard = .whole
    /// Continue a capture whose output directory already holds records.
    public var resume = false
    /// Store the last position's next-token log-probabilities (`next_token_logprobs`, vocabulary-sized).
    public var saveLogits = false
    /// Tokens per packed forward batch (a longer text forms a batch of its own).
    public var batchTokens = 512
    public var badRowPolicy: BadRowPolicy = .skip
    /// Accept an input (or shard) with no data rows and write an empty dataset; without it that is an error.
    public var allowEmpty = false
    /// Input rows longer than this many bytes are skipped (`too_long`) without being kept in memory.
    public var maxRowBytes = TextRecordReader.defaultMaxRowBytes
    /// zstd level; 1 is the default because on hidden states it was both faster and smaller than 3
    /// (benchmarks/capture.md).
    public var zstdLevel = 1
    /// A part file is sealed and a new one started once it holds this many bytes.
    public var partBytes = 1 << 30
    /// ... or once it has been open this long (seconds); each seal rewrites manifest.json (a checkpoint).
    public var checkpointSeconds: Double = 600
    /// Compress and write batch k on a background thread while the model computes batch k+1. Off by
    /// default: with BLAS already using every core it cost more CPU than writing inline
    /// (benchmarks/capture.md); it helps when the forward pass leaves cores idle (`threads` < cores).
    /// With several workers the calling thread already writes while the workers compute.
    public var overlapWriting = false
    /// Measure instead of capturing: run the model but write nothing.
    public var dryRun: DryRun?
    /// Forward passes run at once, one packed batch each, sharing the weights (nil = one per active
    /// processor). 1 runs one batch at a time, as before workers existed.
    public var workers: Int?
    /// Threads of each worker's forward pass, for BLAS and the other steps (nil = the processors divided
    /// among the workers: 1 with the default workers, all processors with one worker).
    public var threads: Int?

    /// Measurement modes that write no dataset.
    public enum DryRun: String, Sendable, CaseIterable {
        /// The forward pass alone: no hidden states are handed out.
        case forward
        /// The forward pass plus assembling each record's layer-major buffer (everything but compressing and writing).
        case assemble
    }

    public init(modelPath: String, inputPath: String, outputDirectory: String) {
        self.modelPath = modelPath
        self.inputPath = inputPath
        self.outputDirectory = outputDirectory
    }

    /// Checks values that do not depend on the model.
    func validate() throws {
        if let maxTokens, maxTokens < 1 {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.maxTokens, value: String(maxTokens), "must be at least 1"))
        }
        if truncate && maxTokens == nil {
            throw CaptureError.invalidSetting(
                InvalidSetting(
                    CaptureSetting.truncate, value: "", "needs \(setting: CaptureSetting.maxTokens) (the number of tokens to keep)"))
        }
        guard batchTokens >= 1 else {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.batchTokens, value: String(batchTokens), "must be at least 1"))
        }
        guard maxRowBytes >= 1 else {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.maxRowBytes, value: String(maxRowBytes), "must be positive"))
        }
        guard (1...22).contains(zstdLevel) else {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.zstdLevel, value: String(zstdLevel), "must be in 1...22"))
        }
        guard partBytes >= 1 else {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.partSize, value: String(partBytes), "must be positive"))
        }
        guard checkpointSeconds > 0 else {
            throw CaptureError.invalidSetting(
                InvalidSetting(CaptureSetting.checkpointInterval, value: String(checkpointSeconds), "must be positive"))
        }
        if let labelNames {
            guard !labelNames.isEmpty, Set(labelNames).count == labelNames.count, !labelNames.contains("") else {
                throw CaptureError.invalidSetting(
                    InvalidSetting(
                        CaptureSetting.labelNames, value: labelNames.joined(separator: ","), "need distinct, non-empty class names"))
            }
        }
        if chatSystem != nil && !chatTemplate {
            throw CaptureError.invalidSetting(
                InvalidSetting(CaptureSetting.systemMessage, value: chatSystem ?? "", "needs \(setting: CaptureSetting.chatTemplate)"))
        }
        if let workers, workers < 1 {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.workers, value: String(workers), "must be at least 1"))
        }
        if let threads, threads < 1 {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.threads, value: String(threads), "must be at least 1"))
        }
    }
}
