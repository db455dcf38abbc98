/// Errors of epoch planning, streaming and resume. Each says what failed and why.
public enum StreamError: Error, CustomStringConvertible, Equatable {
    case invalidPartition(rank: Int, world: Int, reason: String)
    case invalidEpoch(Int)
    case tooManyRecords(Int)
    /// A state file that cannot be used at all.
    case badState(path: String, reason: String)
    /// The state was saved for a different seed/epoch/partition than requested.
    case stateMismatch(field: String, state: String, requested: String)
    /// The shards the state was planned over are no longer the dataset's leading shards.
    case datasetChanged(detail: String)
    /// A resume position past the end of the rank's epoch share.
    case positionOutOfRange(position: Int, count: Int)
    /// A record larger than anything the reader could hold, or other bad request.
    case invalidRequest(String)
    /// The stream was closed or its prefetch thread failed earlier.
    case closed

    public var description: String {
        switch self {
        case let .invalidPartition(rank, world, reason):
            return "invalid partition rank \(rank) of world \(world): \(reason)"
        case let .invalidEpoch(epoch):
            return "invalid epoch \(epoch): epochs count from 0"
        case let .tooManyRecords(count):
            return "dataset has \(count) records; streaming supports at most \(Permutation.maxCount)"
        case let .badState(path, reason):
            return "stream state \(path): \(reason)"
        case let .stateMismatch(field, state, requested):
            return
                "stream state was saved with \(field) \(state) but \(requested) was requested; resume with the same \(field) or start a new epoch without --resume-state"
        case let .datasetChanged(detail):
            return "cannot resume: the dataset changed since the stream state was saved (\(detail)); exact resume needs the same shards"
        case let .positionOutOfRange(position, count):
            return "stream state position \(position) is past the end of this rank's \(count) records"
        case let .invalidRequest(reason):
            return "invalid stream request: \(reason)"
        case .closed:
            return "the stream is closed"
        }
    }
}
