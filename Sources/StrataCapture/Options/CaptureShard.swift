import StrataUtilities

/// Shard `i/n` (the CLI's `capture --shard i/n`): the worker's share of the input. Data row r (1-based, as `TextRecordReader`
/// numbers them; blank JSONL lines and the CSV header are not rows) belongs to shard
/// `(r - 1) mod n`. Every row belongs to exactly one shard whatever its content, so n workers
/// (a Slurm array, a Kubernetes Indexed Job) produce disjoint outputs that together cover the input.
public struct CaptureShard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based shard index, `0 ..< count`.
    public var index: Int
    public var count: Int

    /// The whole input (shard 0 of 1).
    public static let whole = CaptureShard(uncheckedIndex: 0, count: 1)

    init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw CaptureError.invalidSetting(
                InvalidSetting(
                    CaptureSetting.shard, value: "\(index)/\(count)",
                    "need 0 <= i < n (shards are numbered from 0, as Slurm array and Indexed Job indices are)"))
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
            let n = Int(parts[1].trimmingCharacters(in: .whitespaces))
        else {
            throw CaptureError.invalidSetting(InvalidSetting(CaptureSetting.shard, value: text, "expected i/n, e.g. 0/4"))
        }
        try self.init(index: i, count: n)
    }

    /// True when data row `row` (1-based) belongs to this shard.
    public func contains(row: Int) -> Bool { (row - 1) % count == index }

    /// The prefix of this shard's output files: `capture` for the whole input, `capture-s<i>of<n>` otherwise.
    public var fileTag: String { count == 1 ? "capture" : "capture-s\(index)of\(count)" }

    public var description: String { "\(index)/\(count)" }
}
