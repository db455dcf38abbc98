import Foundation

/// One epoch of a training run, as written to `strata train --log FILE.jsonl` (one JSON object
/// per line) and kept in checkpoint provenance (`provenance.history`). Key names are a contract
/// (spec/PROBES.md §3): reports draw training curves from them.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Optimizer steps taken so far in the run (cumulative).
    public var step: Int
    /// Mean (class-weighted) training loss over the epoch's examples.
    public var trainLoss: Double
    /// Value of the selection metric (`--metric`) on validation; nil without validation.
    public var valMetric: Double?
    /// Mean cross-entropy of the validation records (unweighted); nil without validation.
    public var valLoss: Double?
    /// Training examples per second over the epoch (training steps only, not validation).
    public var examplesPerSecond: Double
    /// Wall seconds of the epoch, training and validation (summed over resumed parts).
    public var seconds: Double

    public init(
        epoch: Int, step: Int, trainLoss: Double, valMetric: Double?, valLoss: Double?,
        examplesPerSecond: Double, seconds: Double
    ) {
        self.epoch = epoch; self.step = step; self.trainLoss = trainLoss; self.valMetric = valMetric
        self.valLoss = valLoss; self.examplesPerSecond = examplesPerSecond; self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, seconds
        case trainLoss = "train_loss"
        case valMetric = "val_metric"
        case valLoss = "val_loss"
        case examplesPerSecond = "examples_per_second"
    }

    /// The record as one line of JSON (sorted keys, no trailing newline). Non-finite numbers
    /// (a diverged loss) are written as null.
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Mean cross-entropy −log p(label) over labelled rows of an N × C probability matrix
    /// (probabilities clamped at 1e-12); nil when no row is labelled.
    public static func meanCrossEntropy(probabilities: [Float], labels: [Int], classes: Int) -> Double? {
        var sum = 0.0, n = 0
        for (i, y) in labels.enumerated() where y >= 0 && y < classes && (i + 1) * classes <= probabilities.count {
            sum -= log(max(Double(probabilities[i * classes + y]), 1e-12))
            n += 1
        }
        return n > 0 ? sum / Double(n) : nil
    }
}

/// Writes `EpochRecord`s as JSON lines to a file, flushing after every line so that a killed
/// run leaves every finished epoch on disk.
public final class EpochLogWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates (or truncates) `path` and writes `existing` first (the epochs a resumed run has
    /// already finished, so the file never holds duplicates).
    public init(path: String, existing: [EpochRecord] = []) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw ProbeError.io(path: path, reason: "cannot create the training log")
        }
        self.handle = handle
        for record in existing { try append(record) }
    }

    deinit { try? handle.close() }

    /// Appends one line.
    public func append(_ record: EpochRecord) throws {
        do {
            try handle.write(contentsOf: Data((try record.jsonLine() + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw ProbeError.io(path: path, reason: "cannot write the training log: \(error)")
        }
    }
}
