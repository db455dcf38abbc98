/// Errors of the Strata ⇄ HDF5 conversion that are not HDF5 library failures.
public enum StrataHDF5Error: Error, CustomStringConvertible, Sendable {
    /// A Strata shard could not be read as spec/FORMAT.md describes.
    case shard(path: String, record: Int?, String)
    /// An option or input combination that cannot be honoured.
    case invalidArgument(String)
    /// Input values that do not fit what Strata stores (e.g. mismatched metadata).
    case incompatible(file: String, String)

    public var description: String {
        switch self {
        case let .shard(path, record, why):
            return "Strata shard \(path)\(record.map { " record \($0)" } ?? ""): \(why)"
        case let .invalidArgument(why):
            return "invalid argument: \(why)"
        case let .incompatible(file, why):
            return "\(file): \(why)"
        }
    }
}
