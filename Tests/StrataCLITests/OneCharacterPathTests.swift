import Foundation
import StrataTestSupport
import Testing

/// A one-character relative output path (`--out a`) made `synth` and `recover` trap inside
/// NSString.deletingLastPathComponent (swift-corelibs-foundation, Swift 6.3.1; found while
/// minimising a fuzz/ finding). Strata's own PathSyntax now takes paths apart.
@Suite struct OneCharacterPathTests {
    /// Runs `strata ARGS` with `directory` as the working directory.
    private static func run(_ arguments: [String], in directory: String) throws -> (status: Int32, signaled: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLIRunner.binaryPath())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    @Test func synthVerifyAndRecoverAcceptAOneCharacterPath() throws {
        try withTemporaryDirectory { dir in
            for arguments in [
                ["synth", "--out", "a", "--records", "2", "--layer-count", "2", "--hidden", "8"],
                ["verify", "a"], ["recover", "a"]
            ] {
                let result = try Self.run(arguments, in: dir)
                #expect(!result.signaled && result.status == 0, "strata \(arguments.joined(separator: " "))")
            }
            #expect(FileManager.default.fileExists(atPath: dir + "/a"))
        }
    }
}
