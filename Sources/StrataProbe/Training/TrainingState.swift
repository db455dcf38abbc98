import Foundation
import Strata

/// Everything a training run needs to continue exactly where it stopped (`strata train
/// --resume`): probe parameters, AdamW moments, the schedule position, epoch, best-so-far,
/// early-stopping counter, the partial epoch's loss sums and the stream position.
///
/// Saved at optimizer-step boundaries only, as JSON (float arrays as base64 of their
/// little-endian f32 bytes, so they round-trip bit for bit — `PackedFloats`), atomically (temporary
/// file, fsync, rename): a kill at any moment leaves either the previous or the new state. The
/// arrays are written in pieces, so saving needs well under 1 MB besides the state itself.
public struct TrainingState: Codable, Sendable {
    public static let formatName = "strata-train-state"
    public static let currentVersion = 1

    public var format = TrainingState.formatName
    public var version = TrainingState.currentVersion
    /// The run this state belongs to: resuming with another configuration or options fails.
    public var configuration: ProbeConfiguration
    public var options: TrainingOptions
    /// Records per epoch across all ranks (`ResumableBatchSource.recordsPerEpoch`).
    public var recordsPerEpoch: Int

    public var parameters: PackedFloats
    public var adamFirst: PackedFloats
    public var adamSecond: PackedFloats
    public var adamStep: Int
    /// Optimizer steps taken (the learning-rate schedule's position).
    public var step: Int
    /// The epoch in progress or about to start (1-based).
    public var epoch: Int
    /// Position in `epoch`; nil when the epoch has not started.
    public var stream: StreamState?
    public var epochLossSum: Double
    public var epochWeightSum: Double
    public var epochExamples: Int
    public var epochTrainSeconds: Double

    public var bestEpoch: Int
    public var bestValue: Double?
    public var sinceBest: Int
    public var bestParameters: PackedFloats
    public var bestReport: ClassificationReport?
    public var bestThreshold: Float?
    public var history: [Double]
    public var epochs: [EpochRecord]

    private static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// Writes the state atomically. The JSON is encoded with a placeholder for each f32 array, and
    /// the arrays' base64 texts are streamed into the file in their place.
    public func save(to path: String) throws {
        do {
            let deferred = DeferredFloatArrays(), encoder = Self.encoder()
            encoder.userInfo[DeferredFloatArrays.key] = deferred
            let document = try encoder.encode(self)
            try AtomicFile.write(to: path) { append in try deferred.writeSplicing(document, append) }
        } catch {
            throw ProbeError.io(path: path, reason: "cannot save the training state: \(error)")
        }
    }

    /// Reads and checks a state written by `save(to:)`.
    public static func load(from path: String) throws -> TrainingState {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbeError.io(path: path, reason: "cannot read the training state (missing or unreadable)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let state: TrainingState
        do { state = try decoder.decode(TrainingState.self, from: data) } catch {
            throw ProbeError.checkpoint(path: path, offset: nil, reason: "not a training state document (\(error))")
        }
        guard state.format == formatName, state.version == currentVersion else {
            throw ProbeError.checkpoint(
                path: path, offset: nil,
                reason: "format \(state.format) version \(state.version); this tool reads \(formatName) version \(currentVersion)")
        }
        guard state.epoch >= 1, state.step >= 0, state.adamStep >= 0, state.sinceBest >= 0 else {
            throw ProbeError.checkpoint(path: path, offset: nil, reason: "negative or zero epoch, step or counter")
        }
        return state
    }
}

/// When the trainer saves a `TrainingState`: always at the end of each epoch, and after any
/// optimizer step where `everySteps` steps or `everySeconds` seconds have passed since the last save.
public struct StateCheckpointPolicy: Sendable {
    public var path: String
    /// 0 = no step-count trigger.
    public var everySteps: Int
    /// 0 = no time trigger.
    public var everySeconds: Double

    public init(path: String, everySteps: Int = 0, everySeconds: Double = 30) {
        self.path = path; self.everySteps = everySteps; self.everySeconds = everySeconds
    }
}
