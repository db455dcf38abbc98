import Foundation

/// Runs `body` with a new, empty directory under the system's temporary directory and removes the directory,
/// with everything in it, when `body` returns or throws. `label` (default: the calling test's name) makes the
/// directory's name say which test made it.
public func withTemporaryDirectory<T>(_ label: String = #function, _ body: (_ path: String) throws -> T) throws -> T {
    let path = try TemporaryDirectories.make(label)
    defer { TemporaryDirectories.remove(path) }
    return try body(path)
}

/// `withTemporaryDirectory(_:_:)` for code that works with file URLs.
public func withTemporaryDirectoryURL<T>(_ label: String = #function, _ body: (_ url: URL) throws -> T) throws -> T {
    try withTemporaryDirectory(label) { try body(URL(fileURLWithPath: $0, isDirectory: true)) }
}

/// The temporary directories of one test process.
public enum TemporaryDirectories {
    /// Every name starts with this, so a leak is easy to spot (`tools/test` checks for them after a run).
    public static let prefix = "strata-test-"

    /// A new directory for a fixture that several tests share and that lives as long as the test process:
    /// it is removed when the process exits normally (the test runner does, whether tests pass or fail).
    public static func processLifetime(_ label: String) throws -> URL {
        let path = try make(label)
        processLifetimeDirectories.withLock { directories in
            if directories.isEmpty { atexit { TemporaryDirectories.removeProcessLifetimeDirectories() } }
            directories.append(path)
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    static func make(_ label: String) throws -> String {
        let name = label.prefix(40).filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let path = NSTemporaryDirectory() + prefix + "\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static let processLifetimeDirectories = Locked<[String]>([])

    private static func removeProcessLifetimeDirectories() {
        processLifetimeDirectories.withLock { directories in
            directories.forEach(remove)
            directories.removeAll()
        }
    }
}
