/// Errors raised by probe construction, training, checkpoints and batch reading.
/// Every case says what went wrong, where and why.
public enum ProbeError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(what: String, expected: [Int], actualCount: Int)
    case invalidOption(name: String, value: String, reason: String)
    case invalidData(source: String, record: String?, reason: String)
    case missingAuxiliary(dataset: String, name: String, available: [String])
    case checkpoint(path: String, offset: Int?, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, actualCount):
            return "\(what): expected shape \(expected) (\(expected.reduce(1, *)) values) but got \(actualCount) values"
        case let .invalidOption(name, value, reason):
            return "invalid value '\(value)' for \(name): \(reason)"
        case let .invalidData(source, record, reason):
            return "\(source)\(record.map { " record \($0)" } ?? ""): \(reason)"
        case let .missingAuxiliary(dataset, name, available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "dataset \(dataset) has no auxiliary vector '\(name)' (available: \(list)); "
                + "the logit-only baseline needs next-token log-probabilities stored at capture time "
                + "(capture with next-token log-probs enabled, or choose another --probe)"
        case let .checkpoint(path, offset, reason):
            return "probe checkpoint \(path)\(offset.map { " at byte \($0)" } ?? ""): \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
