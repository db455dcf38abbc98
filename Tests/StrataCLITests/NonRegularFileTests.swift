import Foundation
import Strata
import StrataTestSupport
import Testing

/// Issue 12.4: a FIFO (or any non-regular file) where a shard or manifest should be is refused at
/// once, never waited on. Each command runs under a timeout, so a regression fails (the process is
/// killed and `signaled` is set) instead of hanging the suite.
@Suite struct NonRegularFileTests {
    static let timeout: TimeInterval = 60

    static func makeFIFO(_ path: String) throws {
        try #require(mkfifo(path, 0o644) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
    }

    static func expectRefusal(_ arguments: [String], naming path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CLIRunner.run(arguments, timeout: timeout)
        #expect(!result.signaled, "\(arguments.joined(separator: " ")) hung on a FIFO", sourceLocation: sourceLocation)
        #expect(result.status == 1, "\(arguments.joined(separator: " ")): status \(result.status)", sourceLocation: sourceLocation)
        #expect(
            result.stderr.contains(path) && result.stderr.contains("not a regular file (a FIFO)"),
            "\(arguments[0]): \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func aFIFOGivenAsAShardIsRefused() throws {
        try withTemporaryDirectory { dir in
            let fifo = dir + "/pipe.strata"
            try Self.makeFIFO(fifo)
            try Self.expectRefusal(["verify", fifo], naming: fifo)
            try Self.expectRefusal(["inspect", fifo], naming: fifo)
            try Self.expectRefusal(["recover", fifo], naming: fifo)
            try Self.expectRefusal(["merge", fifo, "--out", dir + "/merged"], naming: fifo)
            // The refused merge leaves no output directory behind.
            #expect(!FileManager.default.fileExists(atPath: dir + "/merged"))
        }
    }

    @Test func aFIFOInADatasetIsRefused() throws {
        try withTemporaryDirectory { dir in
            try ProbeCLI.writeShard(dir + "/good.strata", count: 12)
            let data = dir + "/data"
            try #require(try CLIRunner.run(["shard", dir + "/good.strata", "--out", data, "--records-per-shard", "4"]).status == 0)
            let shard = data + "/shard-00001.strata"
            try FileManager.default.removeItem(atPath: shard)
            try Self.makeFIFO(shard)
            for command in [
                ["verify", data], ["inspect", data], ["stream", data, "--ids"], ["export-hdf5", data, dir + "/x.h5"],
                ["features", "--data", data, "--out", dir + "/f.npy", "--quiet"]
            ] {
                try Self.expectRefusal(command, naming: "shard-00001.strata")
            }

            let manifest = data + "/manifest.json"
            try FileManager.default.removeItem(atPath: manifest)
            try Self.makeFIFO(manifest)
            try Self.expectRefusal(["verify", data], naming: manifest)
        }
    }
}
