import Foundation

/// `strata split`: deterministic, optionally stratified train/val/test splits, written as
/// sub-datasets `OUT/<name>/`.
///
/// Assignment: records are grouped by stratum key (all one group when not stratifying),
/// groups are taken in sorted key order, and each group's records (in dataset order) are
/// permuted by one xoshiro256** generator keyed by (seed, split domain). Split k receives the
/// permuted positions [round(n·c_{k-1}), round(n·c_k)) where c_k is the cumulative fraction, so
/// every stratum is divided in the requested proportions to within one record, and the same
/// seed always gives the same sets. Records keep their dataset order inside each split.
public enum DatasetSplit {
    /// What to stratify on.
    public enum Stratify: Sendable, Equatable {
        case none
        /// The primary label (`labels[0]`).
        case label
        /// A record metadata field.
        case metadata(String)

        /// Parses `none`, `label` or `meta:KEY`.
        public init(parsing text: String) throws {
            switch text {
            case "none": self = .none
            case "label": self = .label
            default:
                guard text.hasPrefix("meta:"), text.count > 5 else {
                    throw DatasetOpsError.invalidArgument("--stratify must be none, label or meta:KEY, got \"\(text)\"")
                }
                self = .metadata(String(text.dropFirst(5)))
            }
        }

        var name: String {
            switch self {
            case .none: return "none"
            case .label: return "label"
            case let .metadata(key): return "meta:\(key)"
            }
        }
    }

    /// One requested part.
    public struct Part: Sendable, Equatable {
        public var name: String
        public var fraction: Double
        public init(name: String, fraction: Double) {
            self.name = name
            self.fraction = fraction
        }
    }

    /// Checks fractions: each in [0, 1], total in (0, 1] (a total below 1 leaves records out).
    public static func validate(_ parts: [Part]) throws {
        guard !parts.isEmpty else { throw DatasetOpsError.invalidArgument("split needs at least one part") }
        for part in parts where !(part.fraction >= 0 && part.fraction <= 1) {
            throw DatasetOpsError.invalidArgument("--\(part.name) must be a fraction in [0, 1], got \(part.fraction)")
        }
        let total = parts.reduce(0) { $0 + $1.fraction }
        guard total > 0, total <= 1 + 1e-9 else {
            throw DatasetOpsError.invalidArgument("split fractions add up to \(total); they must total more than 0 and at most 1")
        }
        guard Set(parts.map(\.name)).count == parts.count else { throw DatasetOpsError.invalidArgument("split part names repeat") }
    }

    /// The pure assignment: for records with stratum `keys[i]`, the sorted record indices of
    /// each part (same order as `parts`).
    public static func assign(keys: [String], parts: [Part], seed: UInt64) throws -> [[Int]] {
        try validate(parts)
        var groups: [String: [Int]] = [:]
        for (index, key) in keys.enumerated() { groups[key, default: []].append(index) }
        var generator = ShuffleKey.generator(seed: seed, domain: .split, epoch: 0)
        var result = [[Int]](repeating: [], count: parts.count)
        for key in groups.keys.sorted() {
            let members = groups[key]!
            let order = Permutation.shuffled(count: members.count, using: &generator)
            let n = Double(members.count)
            var cumulative = 0.0
            var lower = 0
            for (k, part) in parts.enumerated() {
                cumulative += part.fraction
                let upper = k == parts.count - 1 && abs(cumulative - 1) < 1e-9
                    ? members.count
                    : min(members.count, Int((n * cumulative).rounded()))
                for position in lower ..< max(lower, upper) { result[k].append(members[Int(order[position])]) }
                lower = max(lower, upper)
            }
        }
        return result.map { $0.sorted() }
    }

    /// The outcome: each written part's directory and record count.
    public struct Result: Sendable {
        public var parts: [(name: String, directory: String, records: Int)]
        public var leftOut: Int
    }

    /// Splits `input` into `output/<part>/` datasets (parts with fraction 0 are not written).
    public static func split(input: String, output: String, parts: [Part], stratify: Stratify, seed: UInt64,
                             recordsPerShard: Int? = nil, shardBytes: Int? = 256 << 20) throws -> Result {
        try validate(parts)
        if DatasetInputs.isNonEmptyDirectory(output) { throw DatasetOpsError.outputExists(output) }
        let source = try StrataDataset(path: input)
        var keys: [String] = []
        keys.reserveCapacity(source.count)
        for global in 0 ..< source.count {
            switch stratify {
            case .none:
                keys.append("")
            case .label:
                let info = try source.info(global)
                guard let label = info.labels.first else {
                    throw DatasetOpsError.invalidArgument("--stratify label: record \(global) (id \"\(info.id)\") has no label")
                }
                keys.append(String(label))
            case let .metadata(field):
                let info = try source.info(global)
                guard let value = info.metadata[field] else {
                    throw DatasetOpsError.invalidArgument("--stratify meta:\(field): record \(global) (id \"\(info.id)\") has no metadata field \"\(field)\"")
                }
                keys.append(value)
            }
        }
        let assignment = try assign(keys: keys, parts: parts, seed: seed)
        let fractions = parts.map { "\($0.name)=\($0.fraction)" }.joined(separator: ",")
        let copier = RecordCopier(source: source)
        var written: [(name: String, directory: String, records: Int)] = []
        for (part, members) in zip(parts, assignment) where part.fraction > 0 {
            let directory = (output as NSString).appendingPathComponent(part.name)
            let writer = try RollingDatasetWriter(directory: directory, metadata: source.metadata,
                                                  options: WriterOptions(matching: source.metadata),
                                                  recordsPerShard: recordsPerShard, shardBytes: recordsPerShard == nil ? shardBytes : nil)
            for global in members { try copier.copy(global, to: writer) }
            var extra = source.manifest?.extra ?? [:]
            extra["split"] = part.name
            extra["split_seed"] = String(seed)
            extra["split_fractions"] = fractions
            extra["split_stratify"] = stratify.name
            extra["split_source"] = input
            try writer.finish(extra: extra)
            written.append((part.name, directory, members.count))
        }
        return Result(parts: written, leftOut: source.count - assignment.reduce(0) { $0 + $1.count })
    }
}
