import StrataUtilities

/// Errors raised by probe construction, training, checkpoints and batch reading.
/// Every case says what went wrong, where and why.
public enum ProbeError: SettingError, CustomStringConvertible, Equatable {
    case shapeMismatch(what: String, expected: [Int], actualCount: Int)
    /// A setting's value that cannot be used (named in words; the CLI names its flag).
    case invalidSetting(InvalidSetting)
    case invalidData(source: String, record: String?, reason: String)
    case missingAuxiliary(dataset: String, name: String, available: [String])
    case checkpoint(path: String, offset: Int?, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, actualCount):
            return "\(what): expected shape \(expected) (\(expected.reduce(1, *)) values) but got \(actualCount) values"
        case let .invalidSetting(refusal):
            return refusal.description
        case let .invalidData(source, record, reason):
            return "\(source)\(record.map { " record \($0)" } ?? ""): \(reason)"
        case let .missingAuxiliary(dataset, name, available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "dataset \(dataset) has no auxiliary vector '\(name)' (available: \(list)); "
                + "the logit-only baseline needs next-token log-probabilities stored at capture time "
                + "(capture with next-token log-probs enabled, or choose another probe kind)"
        case let .checkpoint(path, offset, reason):
            return "probe checkpoint \(path)\(offset.map { " at byte \($0)" } ?? ""): \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}

extension ProbeError {
    /// A refused value of `setting`.
    static func invalid(_ setting: ProbeSetting, value: String, _ reason: SettingText) -> ProbeError {
        .invalidSetting(InvalidSetting(setting, value: value, reason))
    }

    public var invalidSetting: InvalidSetting? {
        if case .invalidSetting(let refusal) = self { return refusal }
        return nil
    }
}
