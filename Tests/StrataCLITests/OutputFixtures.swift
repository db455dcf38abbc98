import Foundation
import Strata

/// Inputs and checks shared by the tests of what writing commands do to their outputs
/// (`OutputLockCommandTests`, `FailedWriteTests`, `LeftoverOutputTests`, `NonRegularFileTests`).
enum OutputFixtures {
    /// Every regular file under `path` (itself when it is a file), by path relative to it, with its bytes.
    static func snapshot(_ path: String) throws -> [String: Data] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [:] }
        guard isDirectory.boolValue else { return [".": try Data(contentsOf: URL(fileURLWithPath: path))] }
        var files: [String: Data] = [:]
        for case let relative as String in FileManager.default.enumerator(atPath: path)! {
            let full = path + "/" + relative
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return files
    }

    /// A labelled shard as `ProbeCLI.writeShard` writes it, with one byte in the middle of the file
    /// flipped: it opens (header, index and trailer are intact) but reading the record there fails
    /// its checksum, so a command reading it fails part-way.
    static func writeDamagedShard(_ path: String, count: Int = 40) throws {
        try ProbeCLI.writeShard(path, count: count)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let middle = try handle.seekToEnd() / 2
        try handle.seek(toOffset: middle)
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: middle)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
    }

    /// A pid no process can have (Linux pids stay below pid_max, at most 2^22).
    static let deadPID = Int32.max

    /// Files in `directory` whose names start with `prefix`.
    static func files(in directory: String, prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }
}
