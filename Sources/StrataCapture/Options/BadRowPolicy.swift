/// What to do with an input row that cannot become a record (`--on-bad-row`).
public enum BadRowPolicy: String, Sendable, CaseIterable {
    /// Leave it out, count it per reason and list it in the capture report.
    case skip
    /// Stop before running the model, naming the file and row.
    case fail
}

/// Why an input row was not captured; the raw values are the keys of the capture report.
public enum SkipReason: String, Sendable, CaseIterable, Codable, Comparable {
    /// Not a JSON object / wrong CSV field count / missing or non-string text field.
    case malformed
    case emptyText = "empty_text"
    case invalidUTF8 = "invalid_utf8"
    /// A label that is neither an integer nor one of `--label-names`, or outside the named classes.
    case badLabel = "bad_label"
    /// More tokens than `--max-tokens` (without `--truncate`), or more bytes than `--max-row-bytes`.
    case tooLong = "too_long"
    /// An id already used by an earlier row of this shard.
    case duplicateID = "duplicate_id"

    public static func < (a: SkipReason, b: SkipReason) -> Bool { a.rawValue < b.rawValue }
}
