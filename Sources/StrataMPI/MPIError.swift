/// A failure to load or use MPI: what failed and why.
public struct MPIError: Error, CustomStringConvertible, Equatable {
    public let what: String
    public let detail: String

    public init(what: String, detail: String) {
        self.what = what
        self.detail = detail
    }

    public var description: String { "MPI: \(what): \(detail)" }
}
