import Foundation
import StrataTestSupport

/// Runs the built `strata` executable from tests. Reusable by every CLI test: `CLIRunner.run([...])`
/// returns exit status, stdout and stderr; `CLIRunner.start([...])` returns the running `Process`
/// (for kill tests). The binary is found next to the test bundle (SwiftPM puts `strata` in the same
/// build directory), or at `$STRATA_BIN` when set.
enum CLIRunner {
    /// The outcome of one `strata` invocation.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// True when the process ended by a signal rather than exiting.
        var signaled: Bool
    }

    struct NotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String { "strata binary not found (build it with `swift build`); searched: \(searched.joined(separator: ", "))" }
    }

    /// Path of the `strata` executable.
    static func binaryPath() throws -> String {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["STRATA_BIN"], fm.isExecutableFile(atPath: env) { return env }
        var dirs: [URL] = []
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        dirs.append(arg0.deletingLastPathComponent())
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        // Inside an .xctest bundle directory (macOS layout): .../debug/X.xctest/Contents/MacOS/X
        var up = arg0
        for _ in 0..<4 {
            up = up.deletingLastPathComponent()
            dirs.append(up)
        }
        var searched: [String] = []
        for dir in dirs {
            let candidate = dir.appendingPathComponent("strata").path
            searched.append(candidate)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw NotFound(searched: searched)
    }

    /// Starts `strata args...` with stdout/stderr going to the given files (or discarded);
    /// `environment` entries are added to (or override) the test process's environment.
    static func start(
        _ args: [String], stdout: String? = nil, stderr: String? = nil,
        environment: [String: String] = [:]
    ) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binaryPath())
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        p.standardOutput =
            try stdout.map { path -> FileHandle in
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            } ?? FileHandle.nullDevice
        p.standardError =
            try stderr.map { path -> FileHandle in
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            } ?? FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs `strata args...` to completion (killing it after `timeout` seconds) and captures its output.
    static func run(_ args: [String], timeout: TimeInterval = 120, environment: [String: String] = [:]) throws -> Result {
        return try withTemporaryDirectory("strata-cli-run") { dir in
            let out = dir + "/stdout", err = dir + "/stderr"
            let p = try start(args, stdout: out, stderr: err, environment: environment)
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(2000) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
            p.waitUntilExit()
            let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
            return Result(
                status: p.terminationStatus, stdout: read(out), stderr: read(err), signaled: p.terminationReason == .uncaughtSignal)
        }
    }
}
