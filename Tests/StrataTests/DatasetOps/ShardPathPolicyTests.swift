import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// A manifest is untrusted: shard paths that leave the dataset directory are refused.
@Suite struct ShardPathPolicyTests {
    /// outside/secret.strata, data/{a.strata, sub/b.strata, in-link -> a.strata,
    /// out-link -> ../outside/secret.strata, out-dir -> ../outside, abs-link -> /etc/hostname}
    static func makeTree(in root: String) throws -> (root: String, data: String) {
        let data = root + "/data"
        let fm = FileManager.default
        try fm.createDirectory(atPath: data + "/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/outside", withIntermediateDirectories: true)
        for file in [data + "/a.strata", data + "/sub/b.strata", root + "/outside/secret.strata"] {
            #expect(fm.createFile(atPath: file, contents: Data([1])))
        }
        try fm.createSymbolicLink(atPath: data + "/in-link", withDestinationPath: "a.strata")
        try fm.createSymbolicLink(atPath: data + "/out-link", withDestinationPath: "../outside/secret.strata")
        try fm.createSymbolicLink(atPath: data + "/out-dir", withDestinationPath: root + "/outside")
        try fm.createSymbolicLink(atPath: data + "/abs-link", withDestinationPath: "/etc/hostname")
        return (root, data)
    }

    @Test(arguments: ["a.strata", "sub/b.strata", "./a.strata", "sub//b.strata", "in-link"])
    func pathsInsideAreAccepted(entry: String) throws {
        try withTemporaryDirectory { root in
            let tree = try Self.makeTree(in: root)
            let resolved = try ShardPathPolicy.resolve(entry, in: tree.data, manifest: "m.json")
            #expect(FileManager.default.fileExists(atPath: resolved))
            let realData = ShardPathPolicy.realPath(tree.data)!
            #expect(resolved.hasPrefix(realData + "/"))
        }
    }

    @Test(arguments: [
        "", "/etc/passwd", "../outside/secret.strata", "sub/../../outside/secret.strata", "..",
        "out-link", "out-dir/secret.strata", "out-dir/missing.strata", "abs-link", ".", "a\u{0}b"
    ])
    func pathsLeavingTheDirectoryAreRefused(entry: String) throws {
        try withTemporaryDirectory { root in
            let tree = try Self.makeTree(in: root)
            #expect(throws: DatasetOpsError.self) { try ShardPathPolicy.resolve(entry, in: tree.data, manifest: "m.json") }
        }
    }

    @Test func missingShardInsideIsReturnedForANotFoundError() throws {
        try withTemporaryDirectory { root in
            let tree = try Self.makeTree(in: root)
            #expect(
                try ShardPathPolicy.resolve("sub/missing.strata", in: tree.data, manifest: "m.json") == tree.data + "/sub/missing.strata")
        }
    }

    /// Minimised from a FuzzManifest crash: walking up from a missing shard path with runs of slashes
    /// trapped inside NSString.deletingLastPathComponent; now it is an ordinary missing shard.
    @Test(arguments: ["Y///g//", "a//", "Y///g//x.strata"])
    func missingShardWithSlashRunsIsReturnedNotTrapped(entry: String) throws {
        try withTemporaryDirectory { root in
            let tree = try Self.makeTree(in: root)
            #expect(try ShardPathPolicy.resolve(entry, in: tree.data, manifest: "m.json") == tree.data + "/" + entry)
        }
    }

    @Test func refusalNamesTheEntryAndTheReason() throws {
        try withTemporaryDirectory { root in
            let tree = try Self.makeTree(in: root)
            do {
                _ = try ShardPathPolicy.resolve("out-link", in: tree.data, manifest: "data/manifest.json")
                Issue.record("expected a refusal")
            } catch let error as DatasetOpsError {
                #expect(error.description.contains("out-link"))
                #expect(error.description.contains("symbolic link"))
            }
        }
    }
}
