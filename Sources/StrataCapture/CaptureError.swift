import StrataUtilities

/// Failures of a capture job that are not the format's or the model's own errors (those pass through
/// unchanged: `StrataError`, `GGUFError`, `LlamaError`, `TokenizerError`; a forward-pass failure is wrapped
/// in `forward` to say which batch it was).
public enum CaptureError: SettingError, CustomStringConvertible, Equatable {
    /// A setting's value that cannot be used (named in words; the CLI names its flag).
    case invalidSetting(InvalidSetting)
    /// `--on-bad-row fail` met a row that cannot become a record.
    case badRow(path: String, row: Int, reason: SkipReason, detail: String)
    /// The input (or this worker's shard of it) has rows, but every one of them is bad: most often for
    /// `reason` (`count` rows); `firstBad` is the earliest.
    case nothingToCapture(path: String, shard: String?, rows: Int, reason: SkipReason, count: Int, firstBad: SkippedRow)
    /// The input (or this worker's shard of it) has no data rows, and `--allow-empty` was not given.
    case emptyInput(path: String, shard: String?, rowsInFile: Int)
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
        case .invalidSetting(let refusal):
            return refusal.description
        case .badRow(let path, let row, let reason, let detail):
            return "\(path): row \(row): \(reason.rawValue): \(detail) (pass --on-bad-row skip to leave such rows out)"
        case .nothingToCapture(let path, let shard, let rows, let reason, let count, let first):
            let whose = shard.map { "shard \($0) of \(path)" } ?? path
            return
                "\(whose): none of its \(rows) rows can be captured, most often \(reason.rawValue) (\(count) of \(rows))\(Self.hint(for: reason)); "
                + "first bad row \(first.row): \(first.detail): \(first.excerpt)"
        case .emptyInput(let path, let shard, let rowsInFile):
            let what =
                shard.map { rowsInFile > 0 ? "shard \($0) gets none of the file's \(rowsInFile) data rows" : "no data rows (shard \($0))" }
                ?? "no data rows"
            return "\(path): \(what) (an empty file, blank lines only, or a CSV header alone); pass --allow-empty to write an empty dataset"
        case .outputNotEmpty(let directory, let entries):
            let shown = entries.prefix(5).joined(separator: ", ") + (entries.count > 5 ? ", …" : "")
            return
                "output directory \(directory) is not empty (\(shown)); pass --resume to continue the capture written there, or choose another --out"
        case .resumeMismatch(let directory, let field, let existing, let requested):
            return
                "--resume: \(directory) was captured with \(field) = \(existing), but this run asks for \(requested); rerun with the original settings or choose another --out"
        case .foreignFiles(let directory, let files, let why):
            return "\(directory): \(why): \(files.prefix(5).joined(separator: ", "))"
        case .model(let path, let why):
            return "\(path): \(why)"
        case .forward(let path, let firstRow, let lastRow, let firstRecord, let lastRecord, let why):
            return "\(path): rows \(firstRow)-\(lastRow) (records \(firstRecord) … \(lastRecord)): the forward pass failed: \(why)"
        }
    }

    /// Which flags usually explain rows skipped for `reason`.
    private static func hint(for reason: SkipReason) -> String {
        switch reason {
        case .malformed:
            return " (check --text-field, and that the input is .jsonl with one JSON object per line or .csv with a header row)"
        case .badLabel: return " (check --label-field and --label-names)"
        case .tooLong: return " (see --max-tokens, --truncate and --max-row-bytes)"
        case .emptyText, .invalidUTF8, .duplicateID: return ""
        }
    }
}

extension CaptureError {
    public var invalidSetting: InvalidSetting? {
        if case .invalidSetting(let refusal) = self { return refusal }
        return nil
    }
}
