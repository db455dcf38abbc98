/// Every failure the format layer reports: what went wrong, where (shard path, record index and id,
/// block index, byte offset) and why. `description` is the human message the CLI prints.
public struct StrataError: Error, CustomStringConvertible, Sendable {
    /// The broad class of failure, for callers that branch on it.
    public enum Kind: String, Sendable {
        /// The file is not a Strata shard, or its version is unsupported.
        case notAShard
        /// The shard was never sealed (writer killed, or still being written): run `strata recover`.
        case unsealed
        /// The shard ends in a valid trailer (magic and CRC) but the seal it closes is damaged: a trailer
        /// field, or the index it points to, fails a check (spec/FORMAT.md §7). `strata recover` rebuilds
        /// the index from the record entries.
        case brokenSeal
        /// A checksum did not match, a structure is inconsistent, or a size is out of bounds.
        case corrupt
        /// The file ends before a structure it declares.
        case truncated
        /// The caller passed something invalid (shape mismatch, unknown layer, bad options).
        case invalidArgument
        /// An operating-system call failed.
        case io
        /// A manifest or dataset directory is malformed or inconsistent.
        case dataset
        /// Another process holds the output's lock (`OutputLock`): it is writing the same output.
        case locked
    }

    public var kind: Kind
    /// Why, in words.
    public var message: String
    public var path: String?
    public var record: Int?
    public var recordID: String?
    public var block: Int?
    public var offset: Int?

    public init(
        _ kind: Kind, _ message: String, path: String? = nil, record: Int? = nil,
        recordID: String? = nil, block: Int? = nil, offset: Int? = nil
    ) {
        self.kind = kind
        self.message = message
        self.path = path
        self.record = record
        self.recordID = recordID
        self.block = block
        self.offset = offset
    }

    public var description: String {
        var location: [String] = []
        if let path { location.append(path) }
        if let record {
            if let recordID { location.append("record \(record) (id \"\(recordID)\")") } else { location.append("record \(record)") }
        }
        if let block { location.append("block \(block)") }
        if let offset { location.append("offset \(offset)") }
        let prefix = location.isEmpty ? "" : location.joined(separator: ", ") + ": "
        return prefix + message
    }

    /// The same error with location fields filled in where they are still empty.
    func located(
        path: String? = nil, record: Int? = nil, recordID: String? = nil,
        block: Int? = nil, offset: Int? = nil
    ) -> StrataError {
        var copy = self
        if copy.path == nil { copy.path = path }
        if copy.record == nil { copy.record = record }
        if copy.recordID == nil { copy.recordID = recordID }
        if copy.block == nil { copy.block = block }
        if copy.offset == nil { copy.offset = offset }
        return copy
    }
}
