import Foundation
import StrataUtilities

/// `strata split`: deterministic, optionally stratified train/val/test splits, written as
/// sub-datasets `OUT/<name>/`.
///
/// Assignment: records are grouped by stratum key (all one group when not stratifying),
/// groups are taken in sorted key order, and each group's records (in dataset order) are
/// permuted by one xoshiro256** generator keyed by (seed, split domain). The parts take
/// consecutive runs of the permuted records, part k receiving ⌊n·f_k⌋ or one more, so
/// every stratum is divided in the requested proportions to within one record, and the same
/// seed always gives the same sets. Records keep their dataset order inside each split.
/// (Counts per stratum: `stratumCounts`.)
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
                    throw DatasetOpsError.invalid(.stratify, value: text, "must be none, label or meta:KEY")
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
        guard !parts.isEmpty else { throw DatasetOpsError.invalid(.splitParts, value: "", "split needs at least one part") }
        for part in parts where !(part.fraction >= 0 && part.fraction <= 1) {
            throw DatasetOpsError.invalid(.splitParts, value: "\(part.name) \(part.fraction)", "each part's fraction must be in [0, 1]")
        }
        let total = parts.reduce(0) { $0 + $1.fraction }
        guard total > 0, total <= 1 + 1e-9 else {
            throw DatasetOpsError.invalid(
                .splitParts, value: parts.map { "\($0.name) \($0.fraction)" }.joined(separator: ", "),
                "the fractions add up to \(total); they must total more than 0 and at most 1")
        }
        guard Set(parts.map(\.name)).count == parts.count else {
            throw DatasetOpsError.invalid(.splitParts, value: parts.map(\.name).joined(separator: ","), "part names repeat")
        }
    }

    /// The pure assignment: for records with stratum `keys[i]`, the sorted record indices of
    /// each part (same order as `parts`).
    public static func assign(keys: [String], parts: [Part], seed: UInt64) throws -> [[Int]] {
        try validate(parts)
        var groups: [String: [Int]] = [:]
        for (index, key) in keys.enumerated() { groups[key, default: []].append(index) }
        var generator = ShuffleKey.generator(seed: seed, domain: .split, epoch: 0)
        var result = [[Int]](repeating: [], count: parts.count)
        let fractions = parts.map(\.fraction)
        let total = fractions.reduce(0, +)
        let takesAll = abs(total - 1) < 1e-9
        var seen = 0
        for key in groups.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let members = groups[key]!
            seen += members.count
            let counts = stratumCounts(
                size: members.count, fractions: fractions, takesAll: takesAll,
                recordsSoFar: seen, assignedSoFar: result.map(\.count))
            let order = Permutation.shuffled(count: members.count, using: &generator)
            var position = 0
            for (k, count) in counts.enumerated() {
                for _ in 0..<count {
                    result[k].append(members[Int(order[position])])
                    position += 1
                }
            }
        }
        return result.map { $0.sorted() }
    }

    /// How many of a stratum's `size` records each part gets: ⌊size·f_k⌋, plus one for the parts
    /// that are furthest behind their overall target (f_k × records seen so far) until the
    /// stratum's quota is met — within one record of size·f_k per stratum, and overall totals
    /// within about one record of the requested fractions.
    static func stratumCounts(size: Int, fractions: [Double], takesAll: Bool, recordsSoFar: Int, assignedSoFar: [Int]) -> [Int] {
        let n = Double(size)
        var counts = fractions.map { Int((n * $0).rounded(.down)) }
        let quota = takesAll ? size : min(size, Int((n * fractions.reduce(0, +)).rounded()))
        var leftover = max(0, quota - counts.reduce(0, +))
        let behind = fractions.indices.map { Double(recordsSoFar) * fractions[$0] - Double(assignedSoFar[$0] + counts[$0]) }
        let ranked = fractions.indices.filter { fractions[$0] > 0 }.sorted { behind[$0] != behind[$1] ? behind[$0] > behind[$1] : $0 < $1 }
        for k in ranked where leftover > 0 {
            counts[k] += 1
            leftover -= 1
        }
        return counts
    }

    /// The outcome: each written part's directory and record count.
    public struct Result: Sendable {
        public var parts: [(name: String, directory: String, records: Int)]
        public var leftOut: Int
    }

    /// Splits `input` into `output/<part>/` datasets (parts with fraction 0 are not written), under the
    /// `OutputLock` of `output`, which must be absent or empty (`NewOutputDirectory`).
    public static func split(
        input: String, output: String, parts: [Part], stratify: Stratify, seed: UInt64,
        recordsPerShard: Int? = nil, shardBytes: Int? = 256 << 20
    ) throws -> Result {
        try validate(parts)
        let lock = try OutputLock(directory: output)
        defer { lock.release() }
        try NewOutputDirectory.requireEmpty(output, datasets: parts.filter { $0.fraction > 0 }.map(\.name))
        let source = try StrataDataset(path: input, checkShardChecksums: true) // a whole-dataset rewrite (spec/FORMAT.md §11)
        var keys: [String] = []
        keys.reserveCapacity(source.count)
        for global in 0..<source.count {
            switch stratify {
            case .none:
                keys.append("")
            case .label:
                let info = try source.info(global)
                guard let label = info.labels.first else {
                    throw DatasetOpsError.invalid(.stratify, value: "label", "record \(global) (id \"\(info.id)\") has no label")
                }
                keys.append(String(label))
            case let .metadata(field):
                let info = try source.info(global)
                guard let value = info.metadata[field] else {
                    throw DatasetOpsError.invalid(
                        .stratify, value: "meta:\(field)", "record \(global) (id \"\(info.id)\") has no metadata field \"\(field)\"")
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
            let writer = try RollingDatasetWriter(
                directory: directory, metadata: source.metadata,
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
