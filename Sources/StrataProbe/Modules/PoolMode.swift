/// How a set of rows is reduced to one row.
public enum PoolMode: String, Codable, Sendable, CaseIterable {
    case mean, max
}
