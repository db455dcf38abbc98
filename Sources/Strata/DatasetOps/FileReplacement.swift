import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How every command writes a single-file output (README, "What a command does to its output"):
/// under the output's lock (`OutputLock`), into `TARGET.partial-PID`, which `commit()` fsyncs and
/// renames over TARGET. A run that fails or is killed leaves an existing TARGET exactly as it was.
/// A failed run removes its partial file; one left by a killed run (its pid no longer running) is
/// removed by the next run that writes the same TARGET.
///
/// `AtomicFile` is the in-memory counterpart (a whole `Data` at once, for manifests and state files).
public final class FileReplacement {
    /// The file this replaces (or creates).
    public let target: String
    /// Where the new contents are written until `commit()`.
    public let partialPath: String
    /// Partial files of killed runs (dead pids) that were removed before this one started.
    public let removedStalePartials: [String]
    private let lock: OutputLock
    private var committed = false

    /// Takes the lock of `target`, removes stale partial files, and names this run's partial file.
    /// Nothing is created at `partialPath` (the caller creates it with whatever writer it uses).
    public init(target: String) throws {
        self.target = target
        lock = try OutputLock(file: target)
        removedStalePartials = Self.removeStalePartials(of: target)
        partialPath = Self.partialPath(of: target, pid: getpid())
        unlink(partialPath) // left by an earlier process that had this pid
    }

    deinit {
        if !committed { unlink(partialPath) }
        lock.release()
    }

    /// fsyncs the partial file, renames it over `target`, fsyncs the directory and releases the lock.
    public func commit() throws {
        let fd = open(partialPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetOpsError.io(path: partialPath, operation: "open for fsync", errno: errno) }
        let synced = fsync(fd) == 0
        let code = errno
        close(fd)
        guard synced else { throw DatasetOpsError.io(path: partialPath, operation: "fsync", errno: code) }
        guard rename(partialPath, target) == 0 else { throw DatasetOpsError.io(path: target, operation: "rename into place", errno: errno) }
        committed = true
        let directory = PathSyntax.parent(of: target)
        AtomicFile.syncDirectory(directory.isEmpty ? "." : directory)
        lock.release()
    }

    /// Runs `body` with the partial file's path and commits what it wrote. A `StrataError` that `body`
    /// throws about the partial file is reported as the target's.
    public func write<Result>(_ body: (_ partialPath: String) throws -> Result) throws -> Result {
        do {
            let result = try body(partialPath)
            try commit()
            return result
        } catch {
            throw locating(error)
        }
    }

    /// `error` as the user should see it: a `StrataError` located in the partial file names the target.
    func locating(_ error: Error) -> Error {
        guard var located = error as? StrataError, located.path == partialPath else { return error }
        located.path = target
        return located
    }

    /// `TARGET.partial-PID`.
    public static func partialPath(of target: String, pid: Int32) -> String { target + ".partial-\(pid)" }

    /// Removes `TARGET.partial-PID` files whose process is no longer running; returns their paths.
    /// Partial files of running processes are left alone.
    @discardableResult
    public static func removeStalePartials(of target: String) -> [String] {
        let directory = PathSyntax.parent(of: target)
        let prefix = PathSyntax.lastComponent(of: target) + ".partial-"
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        var removed: [String] = []
        for name in listed where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid > 0, !isRunning(pid) else { continue }
            let path = directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// True when a process with this pid exists (kill(pid, 0) succeeds, or fails only for lack of permission).
    static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
