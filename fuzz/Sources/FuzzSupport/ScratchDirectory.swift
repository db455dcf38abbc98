import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A directory of this fuzzer process for the files a target hands to path-based readers:
/// `$STRATA_FUZZ_SCRATCH/strata-fuzz-LABEL-PID` (default base: /dev/shm when writable, so the
/// per-input file writes stay in memory). Removed when the process exits normally.
public final class ScratchDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String) {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["STRATA_FUZZ_SCRATCH"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory())
        path = (base as NSString).appendingPathComponent("strata-fuzz-\(label)-\(getpid())")
        try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            fatalError("fuzz harness: cannot create the scratch directory \(path): \(error)")
        }
        ScratchDirectory.removeAtExit(path)
    }

    /// Writes `bytes` to `name` (a path relative to the directory; its folders must exist), replacing
    /// the file, and returns the file's path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot create \(file): errno \(errno)") }
        defer { close(fd) }
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                guard n > 0 else { fatalError("fuzz harness: cannot write \(file): errno \(errno)") }
                done += n
            }
        }
        return file
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var directories: [String] = []

    private static func removeAtExit(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        if directories.isEmpty {
            atexit {
                ScratchDirectory.lock.lock()
                for directory in ScratchDirectory.directories { try? FileManager.default.removeItem(atPath: directory) }
                ScratchDirectory.lock.unlock()
            }
        }
        directories.append(path)
    }
}
