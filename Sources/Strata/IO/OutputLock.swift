import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One writer at a time per output (spec/DATASETS.md §1, "Output lock"). Every command that writes a
/// dataset directory or a file takes an exclusive `flock(2)` on the output's lock file before it looks
/// at what is there, and holds it until it is done; a second writer is refused, naming the holder's pid.
///
/// - A dataset directory's lock file is `DIR/.strata.lock` (the directory is created if absent, and
///   removed again at release if the command left it empty).
/// - A file output's lock file is `.NAME.lock` beside it (`out/x.h5` → `out/.x.h5.lock`).
///
/// The lock file holds one line of JSON, `{"command":"strata capture","pid":1234}`, for the refusal
/// message only: the lock is the `flock`, which the kernel drops when the holder exits or is killed,
/// so a lock file left behind by a killed run never blocks the next one (`--resume` included).
/// The lock file is removed on release (the holder unlinks it while still locked; an acquirer that
/// locked an unlinked file notices and retries).
public final class OutputLock: @unchecked Sendable {
    /// The lock file's name inside a dataset directory. Readers ignore it.
    public static let directoryLockName = ".strata.lock"

    /// The output this lock guards.
    public let output: String
    /// The lock file.
    public let lockPath: String
    private var descriptor: Int32
    /// The directory was created by this lock (removed at release when still empty).
    private let createdDirectory: Bool
    private let mutex = NSLock()

    /// The lock file of dataset directory `directory`.
    public static func lockPath(forDirectory directory: String) -> String {
        (directory as NSString).appendingPathComponent(directoryLockName)
    }

    /// The lock file of the file output `file`: `.NAME.lock` in the same directory.
    public static func lockPath(forFile file: String) -> String {
        let directory = PathSyntax.parent(of: file)
        let name = "." + PathSyntax.lastComponent(of: file) + ".lock"
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }

    /// Locks the dataset directory `directory`, creating it (and missing parents) when absent.
    public convenience init(directory: String) throws {
        var isDirectory: ObjCBool = false
        var created = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StrataError(.invalidArgument, "exists and is not a directory", path: directory) }
        } else {
            try Self.createDirectory(directory)
            created = true
        }
        try self.init(output: directory, lockPath: Self.lockPath(forDirectory: directory), createdDirectory: created)
    }

    /// Locks the file output `file` (which need not exist yet; its directory must).
    public convenience init(file: String) throws {
        try self.init(output: file, lockPath: Self.lockPath(forFile: file), createdDirectory: false)
    }

    private init(output: String, lockPath: String, createdDirectory: Bool) throws {
        self.output = output
        self.lockPath = lockPath
        self.createdDirectory = createdDirectory
        do {
            descriptor = try Self.acquire(lockPath, output: output)
        } catch {
            if createdDirectory { rmdir(output) }
            throw error
        }
        let holder = "{\"command\":\(Self.jsonString(Self.commandName)),\"pid\":\(getpid())}\n"
        _ = ftruncate(descriptor, 0)
        _ = holder.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit { release() }

    /// Unlocks and removes the lock file (and the directory, if this lock created it and it is empty).
    /// Idempotent.
    public func release() {
        mutex.lock()
        defer { mutex.unlock() }
        guard descriptor >= 0 else { return }
        unlink(lockPath)
        close(descriptor)
        descriptor = -1
        if createdDirectory { rmdir(output) }
    }

    /// Opens and locks `lockPath`, retrying when the file locked was unlinked by a holder releasing it.
    private static func acquire(_ lockPath: String, output: String) throws -> Int32 {
        while true {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
            guard fd >= 0 else { throw FileDescriptor.errnoError("cannot create the lock file \(lockPath)", path: output) }
            var opened = stat()
            guard fstat(fd, &opened) == 0, (opened.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw StrataError(.io, "the lock file \(lockPath) is not a regular file", path: output)
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                if code == EINTR { close(fd); continue }
                guard code == EWOULDBLOCK else {
                    close(fd)
                    errno = code
                    throw FileDescriptor.errnoError("cannot lock \(lockPath)", path: output)
                }
                let holder = describeHolder(fd)
                close(fd)
                throw StrataError(
                    .locked,
                    "another process is writing it (\(holder)); wait for it to finish or stop it, then run again (lock file \(lockPath))",
                    path: output)
            }
            var current = stat()
            if stat(lockPath, &current) == 0, current.st_dev == opened.st_dev, current.st_ino == opened.st_ino { return fd }
            close(fd) // locked a lock file its holder had just removed: take the new one
        }
    }

    /// "pid 1234, strata capture" from the holder's lock file, or what can be said without it.
    private static func describeHolder(_ fd: Int32) -> String {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        guard count > 0,
            let object = try? JSONSerialization.jsonObject(with: Data(bytes[0..<count])) as? [String: Any],
            let pid = object["pid"] as? Int
        else {
            return "its pid is not written yet"
        }
        let command = (object["command"] as? String).map { ", \($0)" } ?? ""
        return "pid \(pid)\(command)"
    }

    /// `strata capture` for the running `strata capture …` (the program's file name and the subcommand).
    private static var commandName: String {
        let arguments = CommandLine.arguments
        let program = arguments.first.map { ($0 as NSString).lastPathComponent } ?? "?"
        guard arguments.count > 1, !arguments[1].hasPrefix("-") else { return program }
        return program + " " + arguments[1]
    }

    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"?\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    private static func createDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StrataError(.io, "cannot create the directory: \(SystemErrorText.reason(error))", path: directory)
        }
    }
}
