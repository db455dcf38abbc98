/// Full integrity check of a shard or dataset: every checksum, every block decoded, index consistent
/// with the blocks and record entries, no unaccounted bytes, manifest consistent with its shards.
/// Stops at the first problem by throwing a `StrataError` that names it.
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
        let dataset = try StrataDataset(path: path)
        var report = Report()
        if let manifest = dataset.manifest {
            for (i, s) in manifest.shards.enumerated() {
                let shard = dataset.shards[i]
                guard shard.fileSize == s.bytes else {
                    throw StrataError(.dataset, "shard is \(shard.fileSize) bytes but the manifest says \(s.bytes)", path: shard.path)
                }
                let crc = try fileCRC32C(shard.path)
                guard crc == s.crc32c.lowercased() else {
                    throw StrataError(.dataset, "shard CRC32C is \(crc) but the manifest says \(s.crc32c)", path: shard.path)
                }
            }
        }
        for shard in dataset.shards { try verify(shard, into: &report) }
        return report
    }

    static func verify(_ shard: ShardReader, into report: inout Report) throws {
        let meta = shard.metadata
        var expectedOffset = shard.bodyStart
        var ids = Set<String>()
        let declaredAux = Set(meta.auxiliary.map(\.name))
        for i in 0..<shard.count {
            let e = try shard.entry(i)
            func problem(_ why: String, block: Int? = nil, offset: Int? = nil) -> StrataError {
                StrataError(.corrupt, why, path: shard.path, record: i, recordID: e.id, block: block, offset: offset)
            }
            guard ids.insert(e.id).inserted else { throw problem("duplicate record id") }
            guard Set(e.auxiliary.keys) == declaredAux else { throw problem("auxiliary vectors \(e.auxiliary.keys.sorted()) differ from the declared \(declaredAux.sorted())") }
            for a in meta.auxiliary {
                if let n = a.length, e.auxiliary[a.name]?.count != n { throw problem("auxiliary vector \"\(a.name)\" does not have the declared length \(n)") }
            }
            for (b, ref) in e.blocks.enumerated() {
                guard ref.offset == expectedOffset else { throw problem("\(ref.offset - expectedOffset) unaccounted bytes before this block", block: b, offset: expectedOffset) }
                try shard.decodeBlock(record: i, entry: e, block: b) { _, _ in }
                expectedOffset = ref.offset + BlockHeader.size + ref.storedSize
            }
            guard try shard.rowOffset(i) == expectedOffset else { throw problem("unaccounted bytes before the record entry", offset: expectedOffset) }
            expectedOffset += try shard.rowLength(i)
            report.records += 1
            report.blocks += e.blocks.count
            report.tokens += e.tokenIDs.count
            report.rawBytes += e.rawBytes
            report.storedBytes += e.storedBytes
        }
        guard expectedOffset == shard.indexOffset else {
            throw StrataError(.corrupt, "\(shard.indexOffset - expectedOffset) unaccounted bytes before the index", path: shard.path, offset: expectedOffset)
        }
        report.shards += 1
        report.fileBytes += shard.fileSize
    }
}
