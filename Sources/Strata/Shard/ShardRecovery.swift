/// Restores every completed record of an unsealed or damaged shard and seals it (spec/FORMAT.md §8):
/// truncate after the last intact record entry, append a fresh index and trailer, fsync. In place;
/// kept bytes are never rewritten, so an interrupted recovery can simply be run again.
public enum ShardRecovery {
    /// What a recovery did.
    public struct Report: Sendable, Equatable {
        public var path: String
        /// Records kept (every record whose commit entry was intact).
        public var recordsKept: Int
        /// Bytes cut from the end of the file (partial record, stale index/trailer), before the new
        /// index and trailer were appended.
        public var bytesDropped: Int
        /// True when the file was already a valid sealed shard with exactly these records (left untouched).
        public var alreadySealed: Bool
        /// Why the scan stopped, when it stopped before the end of the data.
        public var stopReason: String?
        /// Size of the file afterwards.
        public var finalSize: Int
    }

    /// Recovers the shard at `path`. With `dryRun` nothing is written; the report says what would happen.
    public static func recover(path: String, dryRun: Bool = false) throws -> Report {
        do {
            let file = try FileDescriptor.openForWriting(path, create: false, truncate: false)
            defer { try? file.close() }
            let scan = try ShardScanner.scan(file)
            let tail = ShardIndex(rows: scan.rows).encode() + Trailer(indexOffset: scan.committedEnd, recordCount: scan.rows.count).encode()
            let finalSize = scan.committedEnd + tail.count
            if scan.stoppedAtIndex, scan.fileSize == finalSize,
                try file.read(count: tail.count, at: scan.committedEnd) == tail
            {
                return Report(
                    path: path, recordsKept: scan.rows.count, bytesDropped: 0, alreadySealed: true, stopReason: nil, finalSize: finalSize)
            }
            let dropped = scan.fileSize - scan.committedEnd
            let reason = scan.stoppedAtIndex ? "stale or damaged index/trailer" : scan.stopReason
            if !dryRun {
                try file.truncate(to: scan.committedEnd)
                try file.write(tail, at: scan.committedEnd)
                try file.sync()
            }
            return Report(
                path: path, recordsKept: scan.rows.count, bytesDropped: dropped, alreadySealed: false,
                stopReason: reason, finalSize: dryRun ? scan.fileSize : finalSize)
        } catch let e as StrataError {
            throw e.located(path: path)
        }
    }
}
