import Foundation
import Strata

/// What a capture run did; printed as a summary and written to `DIR/capture-report.json`.
public struct CaptureReport: Codable, Sendable {
    public struct Recovery: Codable, Sendable, Equatable {
        public var part: String
        public var recordsKept: Int
        public var bytesDropped: Int
    }

    public var input: String
    public var model: String
    public var shard: String
    /// Data rows in the input file, and those of this shard.
    public var rowsInFile: Int
    public var rowsInShard: Int
    /// Records written by this run, and their tokens.
    public var recordsWritten: Int
    public var tokensWritten: Int
    /// Records a resumed run found already captured (and did not write again).
    public var alreadyCaptured: Int
    /// Records in the output dataset after this run.
    public var recordsInDataset: Int
    /// Skipped rows per reason (`SkipReason` raw values).
    public var skipped: [String: Int]
    /// The skipped rows in row order (the first 10,000).
    public var skippedRows: [SkippedRow]
    /// Texts shortened by `--truncate`.
    public var truncated: Int
    /// Wall time of the whole run, and of the capture loop alone (after loading the model and tokenising).
    public var seconds: Double
    public var captureSeconds: Double
    /// Rates over the capture loop.
    public var tokensPerSecond: Double
    public var recordsPerSecond: Double
    /// Unsealed parts a resumed run recovered.
    public var recovered: [Recovery]
    /// Part files of the dataset (relative to the output directory).
    public var parts: [String]
    /// Set for `--dry-run` measurements (nothing was written).
    public var dryRun: String?

    static let skippedRowsLimit = 10_000

    /// A one-paragraph human summary.
    public var summary: String {
        var lines: [String] = []
        let rate = String(format: "%.1f records/s, %.0f tokens/s", recordsPerSecond, tokensPerSecond)
        lines.append(
            "captured \(recordsWritten) records (\(tokensWritten) tokens): \(rate) over \(String(format: "%.1f", captureSeconds)) s (\(String(format: "%.1f", seconds)) s in all)"
        )
        if alreadyCaptured > 0 { lines.append("resumed: \(alreadyCaptured) records were already captured") }
        for r in recovered {
            lines.append("recovered \(r.part): kept \(r.recordsKept) records, dropped \(r.bytesDropped) bytes of an unfinished record")
        }
        let skippedTotal = skipped.values.reduce(0, +)
        if skippedTotal == 0 {
            lines.append("skipped 0 rows")
        } else {
            let perReason = skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append(
                "skipped \(skippedTotal) rows: \(perReason)" + (dryRun == nil ? " (rows listed in \(CaptureOutput.reportName))" : ""))
        }
        if truncated > 0 { lines.append("truncated \(truncated) texts to the token limit (--max-tokens)") }
        if let dryRun {
            lines.append("dry run (\(dryRun)): nothing written")
        } else {
            lines.append("dataset: \(recordsInDataset) records in \(parts.count) part file(s)")
        }
        return lines.joined(separator: "\n")
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(try encoder.encode(self), to: (directory as NSString).appendingPathComponent(CaptureOutput.reportName))
    }
}
