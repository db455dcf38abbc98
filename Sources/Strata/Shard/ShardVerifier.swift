/// Full integrity check of a shard or dataset: every checksum, every block decoded, and for a dataset
/// every shard's whole-file CRC32C against the manifest. Opening and reading already check the layout
/// (index against the body without gaps, entries, tiling, auxiliary vectors); the verifier makes them
/// visit every record and block. Stops at the first problem by throwing a `StrataError` that names it.
public enum StrataVerifier {
    /// Totals of a successful verification.
    public struct Report: Sendable, Equatable {
        public var shards = 0
        public var records = 0
        public var blocks = 0
        public var tokens = 0
        public var rawBytes = 0
        public var storedBytes = 0
        public var fileBytes = 0
    }

    /// Verifies a shard file or a dataset directory.
    public static func verify(path: String) throws -> Report {
        let dataset = try StrataDataset(path: path, checkShardChecksums: true)
        var report = Report()
        for shard in dataset.shards { try verify(shard, into: &report) }
        return report
    }

    static func verify(_ shard: ShardReader, into report: inout Report) throws {
        var ids = Set<String>()
        for i in 0..<shard.count {
            let e = try shard.entry(i)
            guard ids.insert(e.id).inserted else {
                throw StrataError(.corrupt, "duplicate record id", path: shard.path, record: i, recordID: e.id)
            }
            for b in e.blocks.indices { try shard.decodeBlock(record: i, entry: e, block: b) { _, _, _ in } }
            report.records += 1
            report.blocks += e.blocks.count
            report.tokens += e.tokenIDs.count
            report.rawBytes += e.rawBytes
            report.storedBytes += e.storedBytes
        }
        report.shards += 1
        report.fileBytes += shard.fileSize
    }
}
