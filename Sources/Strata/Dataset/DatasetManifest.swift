import Foundation
import StrataUtilities

/// `manifest.json` of a multi-shard dataset directory (spec/FORMAT.md §Dataset manifest).
public struct DatasetManifest: Codable, Sendable, Equatable {
    public static let fileName = "manifest.json"
    public static let formatName = "strata-dataset"

    /// One shard listed in the manifest.
    public struct Shard: Codable, Sendable, Equatable {
        /// Path relative to the dataset directory.
        public var path: String
        public var records: Int
        public var bytes: Int
        /// CRC32C of the whole shard file, 8 lower-case hex digits.
        public var crc32c: String

        public init(path: String, records: Int, bytes: Int, crc32c: String) {
            self.path = path
            self.records = records
            self.bytes = bytes
            self.crc32c = crc32c
        }
    }

    /// Always "strata-dataset".
    public var format: String
    /// Manifest major version (1).
    public var version: Int
    public var metadata: StrataMetadata
    public var shards: [Shard]
    /// Total records (sum over shards).
    public var records: Int
    /// Free-form dataset-level fields (splits, provenance).
    public var extra: [String: String]

    public init(metadata: StrataMetadata, shards: [Shard], extra: [String: String] = [:]) {
        format = Self.formatName
        version = 1
        self.metadata = metadata
        self.shards = shards
        records = shards.reduce(0) { $0 + $1.records }
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey { case format, version, metadata, shards, records, extra }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        version = try c.decode(Int.self, forKey: .version)
        metadata = try c.decode(StrataMetadata.self, forKey: .metadata)
        shards = try c.decode([Shard].self, forKey: .shards)
        records = try c.decode(Int.self, forKey: .records)
        extra = try c.decodeIfPresent([String: String].self, forKey: .extra) ?? [:]
    }

    /// Builds a manifest for sealed shard files inside `directory` (paths relative to it): opens each,
    /// checks they agree with the first shard on `MetadataCompatibility.datasetFields`, and computes their sizes and whole-file CRC32C.
    public static func build(directory: String, shardPaths: [String], extra: [String: String] = [:]) throws -> DatasetManifest {
        guard !shardPaths.isEmpty else { throw StrataError(.dataset, "a dataset needs at least one shard", path: directory) }
        var shards: [Shard] = []
        var metadata: StrataMetadata?
        for rel in shardPaths {
            let full = (directory as NSString).appendingPathComponent(rel)
            let reader = try ShardReader(path: full)
            if let m = metadata,
                let difference = MetadataCompatibility.firstDifference(m, reader.metadata, fields: MetadataCompatibility.datasetFields)
            {
                throw StrataError(
                    .dataset, "shard's \(difference.field) (\(difference.second)) differs from the first shard's (\(difference.first))",
                    path: full)
            }
            if metadata == nil { metadata = reader.metadata }
            let crc = try fileCRC32C(full)
            shards.append(Shard(path: rel, records: reader.count, bytes: reader.fileSize, crc32c: crc))
        }
        var datasetMetadata = metadata!
        // A lossy shard's measured errors describe that shard; with several, each keeps its own
        // (`QuantizationErrorSummary.combined` merges them for `strata inspect`).
        if shards.count > 1 { datasetMetadata.quantization?.relError = nil }
        return DatasetManifest(metadata: datasetMetadata, shards: shards, extra: extra)
    }

    /// Writes `manifest.json` into `directory` atomically (temp file + fsync + rename).
    public func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let final = (directory as NSString).appendingPathComponent(Self.fileName)
        // Unique temp name (two writers never share one), fsync, rename, then fsync the directory.
        try AtomicFile.write(data, to: final)
    }

    /// Reads and checks a manifest file: its size, format, version, every shard entry's path and
    /// counts, and that the top-level `records` is the sum over the shard entries.
    public static func read(path: String) throws -> DatasetManifest {
        try read(path: path, checkingTotal: true)
    }

    /// As `read(path:)`; with `checkingTotal` false the total is left to the caller, which opens the
    /// shards, checks each entry against its shard and then calls `checkTotal`, so that a wrong entry
    /// is blamed rather than the total.
    public static func read(path: String, checkingTotal: Bool) throws -> DatasetManifest {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > StrataLimits.maxManifestBytes {
            throw StrataError(
                .dataset, "manifest is \(ByteSize.format(size)), over the limit of \(ByteSize.format(StrataLimits.maxManifestBytes))",
                path: path)
        }
        let data = try readManifestBytes(path)
        let m: DatasetManifest
        do { m = try JSONDecoder().decode(DatasetManifest.self, from: data) } catch {
            throw StrataError(.dataset, "manifest JSON is invalid: \(error)", path: path)
        }
        guard m.format == formatName else {
            throw StrataError(.dataset, "manifest format is \"\(m.format)\", expected \"\(formatName)\"", path: path)
        }
        guard m.version == 1 else {
            throw StrataError(.dataset, "unsupported manifest version \(m.version) (this reader supports 1)", path: path)
        }
        for (i, s) in m.shards.enumerated() {
            if s.path.isEmpty || s.path.hasPrefix("/") || s.path.split(separator: "/").contains("..") {
                throw StrataError(.dataset, "shard path \"\(s.path)\" must be relative and stay inside the dataset directory", path: path)
            }
            guard (0...StrataLimits.maxRecordsPerShard).contains(s.records) else {
                throw StrataError(
                    .dataset, "\(m.describeEntry(i)): records \(s.records) is outside 0...\(StrataLimits.maxRecordsPerShard)", path: path)
            }
            guard s.bytes >= 0 else { throw StrataError(.dataset, "\(m.describeEntry(i)): bytes \(s.bytes) is negative", path: path) }
        }
        for s in m.shards where !s.hasWellFormedChecksum {
            throw StrataError(.dataset, "shard \"\(s.path)\": crc32c \"\(s.crc32c)\" is not 8 lower-case hex digits", path: path)
        }
        if checkingTotal { try m.checkTotal(path: path) }
        return m
    }

    /// Fails unless the top-level `records` is the sum over the shard entries (each entry already
    /// bounded by `read`, so the sum cannot overflow).
    public func checkTotal(path: String) throws {
        let sum = shards.reduce(0) { $0 + $1.records }
        guard records == sum else {
            throw StrataError(
                .dataset, "manifest \"records\" is \(records) but its \(shards.count) shard entries list \(sum) records", path: path)
        }
    }

    /// How messages name shard entry `index`: `shards[1] ("shard-00001.strata")`.
    public func describeEntry(_ index: Int) -> String {
        "shards[\(index)] (\"\(shards[index].path)\")"
    }
}

/// The bytes of a manifest file, opened as a regular file (a FIFO or device is refused, not waited on).
private func readManifestBytes(_ path: String) throws -> Data {
    let file: FileDescriptor
    do { file = try FileDescriptor.openForReading(path) } catch let error as StrataError {
        throw StrataError(.dataset, "cannot read manifest: \(error.message)", path: path)
    }
    defer { try? file.close() }
    return Data(try file.read(count: try file.size(), at: 0))
}

/// CRC32C of a whole file as 8 lower-case hex digits, streamed in 4 MiB chunks.
public func fileCRC32C(_ path: String) throws -> String {
    let fd = try FileDescriptor.openForReading(path)
    defer { try? fd.close() }
    let size = try fd.size()
    let chunk = 4 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
    defer { buffer.deallocate() }
    var crc: UInt32 = 0
    var offset = 0
    while offset < size {
        let n = min(chunk, size - offset)
        try fd.read(into: buffer.baseAddress!, count: n, at: offset)
        crc = CRC32C.update(crc, UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
        offset += n
    }
    return String(format: "%08x", crc)
}
