import Foundation
import Strata
import StrataModel
import StrataProbe
import StrataUtilities

/// `strata capture`: reads texts, runs them through a GGUF model in packed batches and writes every
/// requested layer's hidden states, in input order, to a Strata dataset directory.
///
/// Steps: check the output directory; load the model and tokenizer; read and tokenise this shard's
/// rows (`CapturePlan`; bad rows skipped or fatal); on `--resume` recover and read back what is
/// already captured; then run each batch's forward pass on one of the `ForwardWorkers` (several
/// batches at once, sharing the weights) with a `CapturedBatch` sink that assembles each sequence's
/// L × T × d values, and hand the batches, in input order, to the `BatchWriter`, which appends the
/// records to the `CaptureOutput` (inline, or with `overlapWriting` on a one-thread `OrderedPipeline`,
/// the same ordered pipeline the forward workers run on). The dataset does not depend on the number of
/// workers.
public final class CaptureJob {
    /// Name of the auxiliary vector `--save-logits` stores.
    public static let logProbsName = "next_token_logprobs"

    public let options: CaptureOptions
    /// Free-text messages (model loaded, plan, recoveries); the CLI prints them to stderr.
    public var log: (String) -> Void = { _ in }
    /// Progress snapshots, about every `progressInterval` seconds (0 = none).
    public var progress: (@Sendable (CaptureProgress.Snapshot) -> Void)?
    public var progressInterval: Double = 1

    public init(options: CaptureOptions) {
        self.options = options
    }

    /// Runs the capture; returns the report (also written to the output directory unless a dry run).
    @discardableResult
    public func run() throws -> CaptureReport {
        let started = Date()
        try options.validate()
        if options.dryRun == nil && !options.resume {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: options.outputDirectory)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
            if !entries.isEmpty { throw CaptureError.outputNotEmpty(directory: options.outputDirectory, entries: entries) }
        }

        let loadStart = Date()
        let workerCount = options.workers ?? ForwardWorkers.defaultCount
        let loaded = try CaptureModel(
            path: options.modelPath,
            threads: options.threads ?? ForwardWorkers.defaultThreads(workers: workerCount))
        let config = loaded.config
        log(
            "model \(loaded.identity.name) (\(config.blockCount) blocks, hidden \(config.hiddenSize), vocab \(config.vocabularySize)) loaded in \(String(format: "%.1f", Date().timeIntervalSince(loadStart))) s; \(workerCount) worker(s) × \(loaded.model.threads) thread(s)"
        )
        let layers = try options.layers.resolve(blocks: config.blockCount)
        let maxTokens = options.maxTokens ?? loaded.contextLength ?? StrataLimits.maxTokens
        if maxTokens > StrataLimits.maxTokens {
            throw CaptureError.invalidSetting(
                InvalidSetting(
                    CaptureSetting.maxTokens, value: String(maxTokens),
                    "over the format's limit of \(StrataLimits.maxTokens) tokens per record"))
        }

        let planStart = Date()
        let reader = TextRecordReader(
            path: options.inputPath, fields: options.fields, labelNames: options.labelNames,
            maxRowBytes: options.maxRowBytes)
        let plan = try CapturePlan(
            reader: reader, tokenizer: loaded.tokenizer, shard: options.shard, maxTokens: maxTokens,
            truncate: options.truncate, labelCount: options.labelNames?.count, policy: options.badRowPolicy,
            allowEmpty: options.allowEmpty,
            chat: options.chatTemplate ? (loaded.chat, options.chatSystem) : nil)
        log(
            "read \(plan.rowsInFile) rows, \(plan.rowsInShard) in shard \(options.shard): \(plan.records.count) to capture (\(plan.totalTokens) tokens), \(plan.skipped.count) skipped; tokenised in \(String(format: "%.1f", Date().timeIntervalSince(planStart))) s"
        )

        let format = options.chatTemplate ? loaded.chat.promptFormat(system: options.chatSystem) : .raw
        var extra = [
            StrataMetadata.PromptKey.captureInput: (options.inputPath as NSString).lastPathComponent,
            "capture.max_tokens": String(maxTokens),
            "capture.truncate": String(options.truncate),
            "capture.text_field": options.fields.text
        ]
        extra.merge(format.metadataExtra) { _, new in new }
        let metadata = StrataMetadata(
            hidden: config.hiddenSize, layers: layers, dtype: options.dtype, model: loaded.identity,
            tokenizer: loaded.tokenizerIdentity, labelNames: options.labelNames,
            auxiliary: options.saveLogits ? [AuxiliaryInfo(name: Self.logProbsName, length: config.vocabularySize)] : [],
            extra: extra, quantization: options.dtype == .q8 ? .q8(maxRelError: options.maxRelError) : nil)
        var writerOptions = WriterOptions()
        writerOptions.zstdLevel = options.zstdLevel

        var resumed = CaptureOutput.Resumed()
        let output: CaptureOutput? =
            options.dryRun != nil
            ? nil
            : try CaptureOutput(
                directory: options.outputDirectory, tag: options.shard.fileTag, metadata: metadata, writerOptions: writerOptions,
                partBytes: options.partBytes, checkpointSeconds: options.checkpointSeconds,
                manifestExtra: [
                    "capture.shard": options.shard.description, "capture.shard_rule": "data row r belongs to shard (r - 1) mod n"
                ],
                resume: options.resume, resumed: &resumed)
        for r in resumed.recovered {
            log("recovered unsealed part \(r.path): kept \(r.recordsKept) records, dropped \(r.bytesDropped) bytes")
        }
        if options.resume && output != nil { log("resume: \(resumed.records) records already captured") }

        // Batches with at least one record still to capture (all of them unless resuming).
        let batches = plan.batches(batchTokens: options.batchTokens)
            .filter { range in plan.records[range].contains { !resumed.ids.contains($0.id) } }
        let pending = plan.records.filter { !resumed.ids.contains($0.id) }
        let progress = CaptureProgress(
            recordsToDo: pending.count, tokensToDo: pending.reduce(0) { $0 + $1.tokens.count },
            skipped: plan.skipped.count, alreadyCaptured: plan.records.count - pending.count)
        if let report = self.progress { progress.startReporting(every: progressInterval, report) }
        defer { progress.stop() }

        let writer = BatchWriter(output: output, overlap: options.overlapWriting) { records, tokens in
            progress.add(records: records, tokens: tokens)
        }
        let request = HiddenStateRequest(
            layers: options.dryRun == .forward ? [] : layers.map(\.index),
            wantLastLogProbs: options.saveLogits && options.dryRun != .forward)
        let workers = ForwardWorkers(model: loaded.model, count: workerCount)
        let options = self.options
        do {
            try workers.run(
                jobs: batches.count,
                compute: { job, workspace in
                    // On a worker thread: plan, resumed ids and the model are only read.
                    let slice = plan.records[batches[job]]
                    let inputs: [RecordInput?] = slice.map { planned in
                        resumed.ids.contains(planned.id) ? nil : Self.recordInput(planned)
                    }
                    let batch = CapturedBatch(
                        records: inputs, tokenCounts: slice.map(\.tokens.count), layers: layers,
                        numHiddenStates: config.numHiddenStates, hidden: config.hiddenSize, dtype: options.dtype,
                        keepLogProbs: options.saveLogits, allocateValues: options.dryRun != .forward)
                    do {
                        _ = try loaded.model.forward(
                            batch: slice.map(\.tokens), request: request,
                            sink: options.dryRun == .forward ? nil : batch, workspace: workspace)
                    } catch {
                        throw CaptureError.forward(
                            path: options.inputPath, firstRow: slice.first!.row, lastRow: slice.last!.row,
                            firstRecord: slice.first!.id, lastRecord: slice.last!.id, why: "\(error)")
                    }
                    return batch
                },
                deliver: { _, batch in
                    try writer.submit(batch)
                })
            try writer.finish()
        } catch {
            try? writer.finish()
            output?.abandon()
            throw error
        }
        let manifest = try output?.finish()
        progress.stop()

        let snapshot = progress.snapshot
        let seconds = Date().timeIntervalSince(started)
        var perReason: [String: Int] = [:]
        for row in plan.skipped { perReason[row.reason.rawValue, default: 0] += 1 }
        let report = CaptureReport(
            input: options.inputPath, model: options.modelPath, shard: options.shard.description,
            rowsInFile: plan.rowsInFile, rowsInShard: plan.rowsInShard,
            recordsWritten: snapshot.records, tokensWritten: snapshot.tokens, alreadyCaptured: plan.records.count - pending.count,
            recordsInDataset: manifest?.records ?? 0, skipped: perReason,
            skippedRows: Array(plan.skipped.prefix(CaptureReport.skippedRowsLimit)),
            truncated: plan.records.filter { $0.truncatedFrom != nil }.count,
            seconds: seconds, captureSeconds: snapshot.elapsed, tokensPerSecond: snapshot.tokensPerSecond,
            recordsPerSecond: snapshot.recordsPerSecond,
            recovered: resumed.recovered.map {
                CaptureReport.Recovery(
                    part: ($0.path as NSString).lastPathComponent, recordsKept: $0.recordsKept, bytesDropped: $0.bytesDropped)
            },
            parts: manifest?.shards.map(\.path) ?? [], dryRun: options.dryRun?.rawValue)
        if options.dryRun == nil { try report.write(to: options.outputDirectory) }
        output?.release()
        return report
    }

    /// The record a planned row becomes (its values are added by the forward pass).
    static func recordInput(_ planned: PlannedRecord) -> RecordInput {
        var metadata = ["row": String(planned.row)]
        if let full = planned.truncatedFrom { metadata["truncated_from"] = String(full) }
        return RecordInput(
            id: planned.id, labels: planned.label.map { [$0] } ?? [], tokenIDs: planned.tokens,
            text: planned.text, metadata: metadata)
    }
}
