import Foundation
import Strata
import StrataUtilities

/// The output dataset directory of one capture shard: a series of part files
/// `<tag>.part-NNNNN.strata` (tag = `capture` or `capture-s<i>of<n>`) and `manifest.json`.
///
/// Records are appended to the open part; it is sealed and a new one started when it reaches the
/// part size or has been open for the checkpoint interval, and every seal rewrites the manifest
/// atomically (a checkpoint: the directory is then a valid dataset of everything sealed so far).
/// Finished parts are never reopened: a resumed run recovers an unsealed part in place (the format's
/// crash recovery, which only truncates a partial record) and continues in a new part.
final class CaptureOutput {
    let directory: String
    let tag: String
    let metadata: StrataMetadata
    let writerOptions: WriterOptions
    let partBytes: Int
    let checkpointSeconds: Double
    let manifestExtra: [String: String]

    /// Sealed parts (from earlier runs and this one), in part order.
    private(set) var sealed: [DatasetManifest.Shard] = []
    private var current: ShardWriter?
    private var currentName = ""
    private var currentOpened = Date()
    private var nextPart: Int
    /// The directory's lock, held from `init` until `release()` (or until this object goes away).
    private let lock: OutputLock

    /// What `prepare` found in an existing directory.
    struct Resumed {
        /// Ids of every record already captured.
        var ids: Set<String> = []
        var records = 0
        /// Parts whose writer was killed, with what recovery kept.
        var recovered: [ShardRecovery.Report] = []
        /// Recovered parts that held no complete record and were removed.
        var removedEmpty: [String] = []
    }

    static let reportName = "capture-report.json"

    /// Metadata `extra` keys whose values must match on resume (they change what a record holds), beyond
    /// those `MetadataCompatibility` already compares (the prompt-format keys).
    static let settingsKeys = ["capture.max_tokens", "capture.truncate", "capture.input"]

    static func partName(tag: String, number: Int) -> String { String(format: "%@.part-%05d.strata", tag, number) }

    /// The part number of `name` if it is one of `tag`'s part files.
    static func partNumber(_ name: String, tag: String) -> Int? {
        let prefix = tag + ".part-", suffix = ".strata"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// Locks the output directory (creating it when absent; a second writer is refused, naming the first's
    /// pid) and opens it. Without `resume` it must be absent or empty (hidden files such as the lock file
    /// aside). With `resume`, the
    /// tag's part files are recovered if unsealed, checked against `metadata`, and their ids returned.
    init(
        directory: String, tag: String, metadata: StrataMetadata, writerOptions: WriterOptions, partBytes: Int,
        checkpointSeconds: Double, manifestExtra: [String: String], resume: Bool, resumed: inout Resumed
    ) throws {
        self.directory = directory
        self.tag = tag
        self.metadata = metadata
        self.writerOptions = writerOptions
        self.partBytes = partBytes
        self.checkpointSeconds = checkpointSeconds
        self.manifestExtra = manifestExtra
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CaptureError.invalidSetting(
                InvalidSetting(CaptureSetting.outputDirectory, value: directory, "exists and is not a directory"))
        }
        // Taken before the directory is looked at, so two captures into one --out cannot both find it empty.
        lock = try OutputLock(directory: directory)
        let entries = try fm.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        guard resume || entries.isEmpty else { throw CaptureError.outputNotEmpty(directory: directory, entries: entries) }

        var parts: [(number: Int, name: String)] = []
        var foreign: [String] = []
        for name in entries {
            if let number = Self.partNumber(name, tag: tag) {
                parts.append((number, name))
            } else if name.hasSuffix(".strata") {
                foreign.append(name)
            }
        }
        guard foreign.isEmpty else {
            throw CaptureError.foreignFiles(
                directory: directory, files: foreign,
                why:
                    "holds shard files this capture (\(tag)) did not write; give each --shard its own --out and combine them with `strata merge`"
            )
        }
        parts.sort { $0.number < $1.number }
        nextPart = (parts.last?.number ?? -1) + 1
        for part in parts {
            let path = (directory as NSString).appendingPathComponent(part.name)
            let reader: ShardReader
            do {
                reader = try ShardReader(path: path)
            } catch let error as StrataError where [.unsealed, .brokenSeal, .truncated, .corrupt, .notAShard].contains(error.kind) {
                do {
                    resumed.recovered.append(try ShardRecovery.recover(path: path))
                } catch let recoveryError as StrataError {
                    // Killed while the part's header was being written: no record can be in it.
                    guard try Self.isHeaderPrefix(path, in: directory, metadata: metadata, options: writerOptions) else {
                        throw recoveryError
                    }
                    try fm.removeItem(atPath: path)
                    resumed.removedEmpty.append(part.name)
                    continue
                }
                reader = try ShardReader(path: path)
            }
            if let difference = MetadataCompatibility.firstDifference(reader.metadata, metadata) {
                throw CaptureError.resumeMismatch(
                    directory: directory, field: difference.field, existing: difference.first,
                    requested: difference.second)
            }
            for key in Self.settingsKeys where reader.metadata.extra[key] != metadata.extra[key] {
                throw CaptureError.resumeMismatch(
                    directory: directory, field: key, existing: reader.metadata.extra[key] ?? "none",
                    requested: metadata.extra[key] ?? "none")
            }
            if reader.count == 0 {
                try fm.removeItem(atPath: path)
                resumed.removedEmpty.append(part.name)
                continue
            }
            for i in 0..<reader.count { resumed.ids.insert(try reader.info(i).id) }
            resumed.records += reader.count
            sealed.append(
                DatasetManifest.Shard(
                    path: part.name, records: reader.count, bytes: reader.fileSize,
                    crc32c: try fileCRC32C(path)))
        }
    }

    /// True when the file at `path` is no longer than the header and metadata a new part of this
    /// capture starts with (measured by writing one to a temporary file), i.e. it holds no record.
    static func isHeaderPrefix(_ path: String, in directory: String, metadata: StrataMetadata, options: WriterOptions) throws -> Bool {
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? Int.max
        let probe = (directory as NSString).appendingPathComponent(".header-probe-\(ProcessInfo.processInfo.processIdentifier).strata")
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let writer = try ShardWriter(path: probe, metadata: metadata, options: options)
        let headerSize = writer.byteCount
        try writer.close()
        return size <= headerSize
    }

    /// Records in sealed parts plus the open one.
    var recordCount: Int { sealed.reduce(0) { $0 + $1.records } + (current?.recordCount ?? 0) }

    /// Appends a record to the open part (opening one first), then seals the part when it is full or old.
    func append(_ record: RecordInput, values: HiddenStatesBuffer) throws {
        if current == nil { try openPart() }
        try current!.append(record, values: values)
        if current!.byteCount >= partBytes || Date().timeIntervalSince(currentOpened) >= checkpointSeconds {
            try sealCurrent()
            try writeManifest()
        }
    }

    private func openPart() throws {
        currentName = Self.partName(tag: tag, number: nextPart)
        nextPart += 1
        current = try ShardWriter(
            path: (directory as NSString).appendingPathComponent(currentName), metadata: metadata,
            options: writerOptions)
        currentOpened = Date()
        AtomicFile.syncDirectory(directory)
    }

    private func sealCurrent() throws {
        guard let writer = current else { return }
        try writer.close()
        current = nil
        let path = (directory as NSString).appendingPathComponent(currentName)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        sealed.append(DatasetManifest.Shard(path: currentName, records: writer.recordCount, bytes: size, crc32c: try fileCRC32C(path)))
    }

    private func writeManifest() throws {
        try DatasetManifest(metadata: metadata, shards: sealed, extra: manifestExtra).write(directory: directory)
    }

    /// Seals the open part (an empty open part is removed instead, unless it would be the only one:
    /// a dataset needs at least one shard) and writes the final manifest.
    @discardableResult
    func finish() throws -> DatasetManifest {
        if let writer = current, writer.recordCount == 0, !sealed.isEmpty {
            try writer.close()
            current = nil
            try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(currentName))
        }
        if current == nil && sealed.isEmpty { try openPart() }
        try sealCurrent()
        let manifest = DatasetManifest(metadata: metadata, shards: sealed, extra: manifestExtra)
        try manifest.write(directory: directory)
        return manifest
    }

    /// Seals what was written so far after a failure, so the directory stays a valid, resumable dataset.
    func abandon() {
        _ = try? finish()
    }

    /// Releases the directory's lock (after the last file this run writes there).
    func release() {
        lock.release()
    }
}
