import Foundation
import StrataUtilities

/// `strata convert`: re-encodes a shard or a dataset in another dtype (e.g. bf16 → q8), record by
/// record, keeping ids, labels, token ids, text, metadata and auxiliary vectors. A shard file becomes
/// a shard file (written as a partial file and renamed into place, `FileReplacement`); a dataset
/// directory becomes a new dataset directory with one shard per input shard and a manifest
/// (under its `OutputLock`; an existing non-empty directory is refused, `NewOutputDirectory`).
///
/// Into q8, each output shard is written in two passes over its input: the first quantizes without
/// writing (`Q8ErrorSurvey`), so a vector over the bound fails before any output exists and the
/// shard's metadata records the measured error distribution; the second writes.
public enum DatasetConvert {
    public struct Report: Sendable {
        public var records = 0
        public var shards = 0
        public var inputBytes = 0
        public var outputBytes = 0
        /// Over every vector written (lossy targets only).
        public var relError: QuantizationErrorSummary?
    }

    /// Progress: (pass — "measuring errors" or "writing" —, records of the pass done, records in all).
    public typealias Progress = (String, Int, Int) -> Void

    @discardableResult
    public static func convert(
        input: String, output: String, dtype: StrataDType, maxRelError: Double = QuantizationInfo.defaultQ8MaxRelError,
        options: WriterOptions? = nil, progress: Progress? = nil
    ) throws -> Report {
        guard maxRelError.isFinite, maxRelError >= 0 else {
            throw DatasetOpsError.invalid(.maxRelativeError, value: "\(maxRelError)", "must be a finite number ≥ 0")
        }
        var isDirectory: ObjCBool = false
        let inputIsDirectory = FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) && isDirectory.boolValue
        var report = Report()
        var stats = QuantizationErrorStats()
        if !inputIsDirectory {
            let replacement = try FileReplacement(target: output)
            let source = try StrataDataset(path: input, checkShardChecksums: true)
            try replacement.write { partial in
                stats = try convertShard(
                    source, shard: 0, dtype: dtype, maxRelError: maxRelError, options: options, to: partial,
                    done: 0, progress: progress)
            }
            report.shards = 1
            report.records = source.count
            report.inputBytes = source.shards[0].fileSize
            report.outputBytes = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        } else {
            let lock = try OutputLock(directory: output)
            defer { lock.release() }
            let source = try StrataDataset(path: input, checkShardChecksums: true) // a whole-dataset rewrite (spec/FORMAT.md §11)
            try NewOutputDirectory.requireEmpty(output, datasets: ["."])
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            var names: [String] = []
            var done = 0
            for s in source.shards.indices {
                let name = String(format: "shard-%05d.strata", s)
                let shardStats = try convertShard(
                    source, shard: s, dtype: dtype, maxRelError: maxRelError, options: options,
                    to: (output as NSString).appendingPathComponent(name), done: done, progress: progress)
                stats.merge(shardStats)
                done += source.shards[s].count
                names.append(name)
            }
            let manifest = try DatasetManifest.build(directory: output, shardPaths: names, extra: source.manifest?.extra ?? [:])
            try manifest.write(directory: output)
            AtomicFile.syncDirectory(output)
            report.shards = names.count
            report.records = source.count
            report.inputBytes = source.shards.reduce(0) { $0 + $1.fileSize }
            report.outputBytes = manifest.shards.reduce(0) { $0 + $1.bytes }
        }
        report.relError = dtype.isLossy ? stats.summary : nil
        return report
    }

    /// Writes shard `s` of `source` as `dtype` to `path`; returns the errors of what it wrote.
    private static func convertShard(
        _ source: StrataDataset, shard s: Int, dtype: StrataDType, maxRelError: Double,
        options: WriterOptions?, to path: String, done: Int, progress: Progress?
    ) throws -> QuantizationErrorStats {
        let reader = source.shards[s]
        let first = done, count = reader.count, total = source.count
        var metadata = reader.metadata
        // A shard of a dataset is described by the manifest's metadata (spec/FORMAT.md §11).
        if source.manifest != nil { metadata = source.metadata }
        metadata.dtype = dtype
        metadata.codec = nil
        metadata.quantization = dtype == .q8 ? .q8(maxRelError: maxRelError) : nil
        let writerOptions = options ?? WriterOptions(matching: reader.metadata)
        let copier = RecordCopier(source: source, reencode: true)
        var surveyed: QuantizationErrorSummary?
        if dtype == .q8 {
            let survey = try Q8ErrorSurvey(metadata: metadata, options: writerOptions)
            for i in first..<(first + count) {
                let record = try copier.input(i)
                do {
                    try copier.values(i, for: dtype) { try survey.add(record, values: $0) }
                } catch var error as StrataError {
                    error.path = reader.path
                    error.record = i - first
                    throw error
                }
                progress?("measuring errors", i + 1, total)
            }
            surveyed = survey.summary
            metadata.quantization?.relError = surveyed
        }
        let writer = try ShardWriter(path: path, metadata: metadata, options: writerOptions)
        for i in first..<(first + count) {
            let record = try copier.input(i)
            try copier.values(i, for: dtype) { try writer.append(record, values: $0) }
            progress?("writing", i + 1, total)
        }
        let written = writer.quantizationErrorStats
        try writer.close()
        if let surveyed, written.summary != surveyed {
            throw StrataError(
                .io, "the errors measured while writing (\(written.summary)) differ from the survey's (\(surveyed))", path: path)
        }
        return written
    }
}
