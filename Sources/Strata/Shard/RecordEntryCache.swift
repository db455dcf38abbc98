import Foundation

/// Parsed record entries, shared by every `ShardReader` of the process and bounded in bytes.
///
/// Reading a record touches its entry several times in a row (header, values, auxiliary vectors),
/// so recent entries are worth keeping; but an entry carries the record's token ids, text and
/// auxiliary vectors, and with `next_token_logprobs` (49,152 floats for SmolLM2) one entry is
/// 192 KiB. A per-reader cache of 1,024 entries held 157 MB while training on an 800-record
/// capture, outside `--memory-budget` (issue 20); one cache for all readers, bounded in bytes,
/// holds at most `byteLimit` however many shards a dataset has. When an entry does not fit, the
/// cache starts over (entries larger than the whole bound are not kept).
final class RecordEntryCache: @unchecked Sendable {
    /// The cache every `ShardReader` uses.
    static let shared = RecordEntryCache(byteLimit: 4 << 20)

    struct Key: Hashable {
        let reader: UInt64
        let index: Int
    }

    let byteLimit: Int
    private var entries: [Key: RecordEntry] = [:]
    private var bytes = 0
    private var readers: UInt64 = 0
    private let lock = NSLock()

    init(byteLimit: Int) { self.byteLimit = byteLimit }

    /// A key space for one reader (never reused, so a new reader never sees another's entries).
    func newReader() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        readers += 1
        return readers
    }

    func entry(reader: UInt64, index: Int) -> RecordEntry? {
        lock.lock(); defer { lock.unlock() }
        return entries[Key(reader: reader, index: index)]
    }

    func insert(_ entry: RecordEntry, reader: UInt64, index: Int) {
        let size = entry.residentBytes
        guard size <= byteLimit else { return }
        lock.lock(); defer { lock.unlock() }
        let key = Key(reader: reader, index: index)
        if let old = entries[key] { bytes -= old.residentBytes }
        if bytes + size > byteLimit {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }
        entries[key] = entry
        bytes += size
    }
}

extension RecordEntry {
    /// Approximate heap bytes of the parsed entry: its arrays, strings and a fixed allowance per object.
    var residentBytes: Int {
        var total = 256 + id.utf8.count + labels.count * 8 + tokenIDs.count * 4 + (text?.utf8.count ?? 0)
        total += blocks.count * MemoryLayout<BlockRef>.stride
        for (key, value) in metadata { total += 64 + key.utf8.count + value.utf8.count }
        for (name, vector) in auxiliary { total += 64 + name.utf8.count + vector.count * 4 }
        return total
    }
}
