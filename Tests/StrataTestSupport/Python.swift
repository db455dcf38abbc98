import Foundation

/// Runs `python3` for the tests that compare against a Python reference (h5py, gguf-py, the Python
/// package, the scripts in checks/), from the repository's root folder.
public enum Python {
    /// The repository checkout these tests belong to.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: String
        /// Standard output then standard error, as text: what to show when a check fails.
        public var output: String { String(decoding: stdout, as: UTF8.self) + stderr }
    }

    /// Runs `python3 arguments…` in the repository root and waits for it, with the checkout's Python package
    /// (python/, `import strata`) first on the import path. Standard error goes through a file, so only one
    /// pipe is drained and a chatty script cannot block on a full pipe.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> Result {
        try withTemporaryDirectoryURL("python-stderr") { folder in
            let errorURL = folder.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
            let errorHandle = try FileHandle(forWritingTo: errorURL)
            defer { try? errorHandle.close() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
            process.currentDirectoryURL = repositoryRoot
            var environment = ProcessInfo.processInfo.environment
            let package = repositoryRoot.appendingPathComponent("python").path
            environment["PYTHONPATH"] = ([package] + (environment["PYTHONPATH"].map { [$0] } ?? [])).joined(separator: ":")
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = errorHandle
            try process.run()
            let stdout = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let stderr = (try? Data(contentsOf: errorURL)) ?? Data()
            return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
        }
    }
}
