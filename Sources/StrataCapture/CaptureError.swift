/// Failures of a capture job that are not the format's or the model's own errors (those pass through
/// unchanged: `StrataError`, `GGUFError`, `LlamaError`, `TokenizerError`; a forward-pass failure is wrapped
/// in `forward` to say which batch it was).
public enum CaptureError: Error, CustomStringConvertible, Equatable {
    /// A command-line value that cannot be used.
    case invalidOption(flag: String, value: String, why: String)
    /// `--on-bad-row fail` met a row that cannot become a record.
    case badRow(path: String, row: Int, reason: SkipReason, detail: String)
    /// The output directory already holds files and `--resume` was not given.
    case outputNotEmpty(directory: String, entries: [String])
    /// `--resume` found output written with different settings.
    case resumeMismatch(directory: String, field: String, existing: String, requested: String)
    /// The output directory holds files this capture did not write (another shard's, or foreign ones).
    case foreignFiles(directory: String, files: [String], why: String)
    /// The model file cannot be used for capture.
    case model(path: String, why: String)
    /// The forward pass of one packed batch failed (`why` is the model's error).
    case forward(path: String, firstRow: Int, lastRow: Int, firstRecord: String, lastRecord: String, why: String)

    public var description: String {
        switch self {
        case .invalidOption(let flag, let value, let why):
            return "\(flag) \(value): \(why)"
        case .badRow(let path, let row, let reason, let detail):
            return "\(path): row \(row): \(reason.rawValue): \(detail) (pass --on-bad-row skip to leave such rows out)"
        case .outputNotEmpty(let directory, let entries):
            let shown = entries.prefix(5).joined(separator: ", ") + (entries.count > 5 ? ", …" : "")
            return "output directory \(directory) is not empty (\(shown)); pass --resume to continue the capture written there, or choose another --out"
        case .resumeMismatch(let directory, let field, let existing, let requested):
            return "--resume: \(directory) was captured with \(field) = \(existing), but this run asks for \(requested); rerun with the original settings or choose another --out"
        case .foreignFiles(let directory, let files, let why):
            return "\(directory): \(why): \(files.prefix(5).joined(separator: ", "))"
        case .model(let path, let why):
            return "\(path): \(why)"
        case .forward(let path, let firstRow, let lastRow, let firstRecord, let lastRecord, let why):
            return "\(path): rows \(firstRow)-\(lastRow) (records \(firstRecord) … \(lastRecord)): the forward pass failed: \(why)"
        }
    }
}
