import Foundation

/// Where a rank stands in an epoch, serialisable as JSON so that a killed run resumes with
/// exactly the records it had not yet consumed.
///
/// The state pins the epoch to the shard list it was planned over: `shardCount` shards whose
/// `fingerprint` must still match on resume. Shards appended to the dataset afterwards are
/// ignored until the next epoch; a replaced, removed or reordered shard makes the resume fail
/// with `StreamError.datasetChanged`.
public struct StreamState: Codable, Equatable, Sendable {
    /// Format version of this JSON document.
    public static let currentVersion = 1

    public var version: Int
    public var seed: UInt64
    public var epoch: Int
    public var shuffle: Bool
    public var rank: Int
    public var world: Int
    /// Records of this rank's share of the epoch already delivered to the consumer.
    public var position: Int
    /// How many leading shards of the dataset the epoch is planned over.
    public var shardCount: Int
    /// Records in those shards (all ranks).
    public var recordCount: Int
    /// `DatasetFingerprint` of those shards.
    public var fingerprint: String
    /// Whether the epoch was planned with equal shares (`EpochPlan.evenShares`); absent = false.
    public var evenShares: Bool?
    /// The global batch of a step-sliced epoch (`EpochPlan.stepBatch`); absent = contiguous shares.
    public var stepBatch: Int?
    /// Steps of a step-sliced epoch completed, when the consumer saved at a step boundary. Every
    /// rank's position follows from it (`StepSlices.localPosition`), so one rank's state resumes all.
    public var steps: Int?

    enum CodingKeys: String, CodingKey {
        case version, seed, epoch, shuffle, rank, world, position, fingerprint, steps
        case shardCount = "shard_count"
        case recordCount = "record_count"
        case evenShares = "even_shares"
        case stepBatch = "step_batch"
    }

    public init(
        seed: UInt64, epoch: Int, shuffle: Bool, rank: Int, world: Int, position: Int,
        shardCount: Int, recordCount: Int, fingerprint: String, evenShares: Bool? = nil, stepBatch: Int? = nil
    ) {
        version = StreamState.currentVersion
        self.seed = seed
        self.epoch = epoch
        self.shuffle = shuffle
        self.rank = rank
        self.world = world
        self.position = position
        self.shardCount = shardCount
        self.recordCount = recordCount
        self.fingerprint = fingerprint
        self.evenShares = evenShares
        self.stepBatch = stepBatch
    }

    /// The state as pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Decodes and checks a state document (fields in range, known version).
    public static func decode(_ data: Data, source: String) throws -> StreamState {
        let state: StreamState
        do {
            state = try JSONDecoder().decode(StreamState.self, from: data)
        } catch {
            throw StreamError.badState(path: source, reason: "not a stream state JSON document (\(error))")
        }
        guard state.version == currentVersion else {
            throw StreamError.badState(path: source, reason: "state version \(state.version), this tool reads version \(currentVersion)")
        }
        guard state.epoch >= 0, state.position >= 0, state.shardCount >= 0, state.recordCount >= 0 else {
            throw StreamError.badState(path: source, reason: "negative epoch, position, shard count or record count")
        }
        guard state.stepBatch.map({ $0 >= 1 }) ?? true, state.steps.map({ $0 >= 0 }) ?? true else {
            throw StreamError.badState(path: source, reason: "step_batch must be positive and steps not negative")
        }
        return state
    }

    /// Writes the state atomically (temporary file, fsync, rename).
    public func save(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }

    /// Reads a state written by `save(to:)`.
    public static func load(from path: String) throws -> StreamState {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StreamError.badState(path: path, reason: "cannot read the file")
        }
        return try decode(data, source: path)
    }
}
