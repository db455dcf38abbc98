import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// A dataset must not list one shard file twice nor hold one record id twice (spec/FORMAT.md §11):
/// opening it (and so `verify`, `stream`, `train`) refuses both, naming the two shards.
struct DatasetUniquenessTests {
    /// Writes `manifest.json` in `directory` listing `paths` in order (the files must exist).
    static func writeManifest(_ directory: String, _ paths: [String]) throws {
        try DatasetManifest.build(directory: directory, shardPaths: paths).write(directory: directory)
    }

    /// The message of the error that opening `path` throws, or nil when it opens.
    static func openFailure(_ path: String) -> String? {
        do {
            _ = try StrataDataset(path: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: ["a.strata", "./a.strata", "sub/../a.strata", "link.strata", "hard.strata"])
    func theSameShardUnderAnyNameIsRefused(second: String) throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1])
            try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root + "/link.strata", withDestinationPath: "a.strata")
            try FileManager.default.linkItem(atPath: root + "/a.strata", toPath: root + "/hard.strata")
            var manifest = try DatasetManifest.build(directory: root, shardPaths: ["a.strata", "a.strata"])
            manifest.shards[1].path = second // `..` is refused on read, before the shards are compared
            try manifest.write(directory: root)
            let message = try #require(Self.openFailure(root))
            if second.contains("..") {
                #expect(message.contains("inside"), "\(message)")
            } else {
                #expect(message.contains("shards 0 (\"a.strata\") and 1 (\"\(second)\") are the same file"), "\(message)")
                #expect(throws: StrataError.self) { try StrataVerifier.verify(path: root) }
            }
        }
    }

    @Test func anIDInTwoShardsIsRefusedNamingBothAndTheID() throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1, 2])
            try DatasetFixtures.writeShard(root + "/b.strata", keys: [3, 4])
            try DatasetFixtures.writeShard(root + "/c.strata", keys: [5, 2, 6, 0])
            try Self.writeManifest(root, ["a.strata", "b.strata", "c.strata"])
            let message = try #require(Self.openFailure(root))
            // r2 repeats at c.strata record 1, before r0 repeats at c.strata record 3.
            #expect(message.contains("record id \"r2\" occurs twice: a.strata record 2 and c.strata record 1"), "\(message)")
            do {
                _ = try StrataVerifier.verify(path: root)
                Issue.record("verify accepted a duplicate id")
            } catch {
                #expect("\(error)".contains("\"r2\""), "\(error)")
            }
        }
    }

    @Test func distinctShardsAndIDsOpenInOrder() throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1, 2])
            try DatasetFixtures.writeShard(root + "/b.strata", keys: [3, 4])
            try Self.writeManifest(root, ["b.strata", "a.strata"])
            let dataset = try StrataDataset(path: root)
            #expect(try DatasetFixtures.ids(dataset) == ["r3", "r4", "r0", "r1", "r2"])
            #expect(try StrataVerifier.verify(path: root).records == 5)
        }
    }

    @Test func aDamagedEntryHeaderIsLeftToTheReadThatMeetsIt() throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1])
            try DatasetFixtures.writeShard(root + "/b.strata", keys: [2, 3])
            try Self.writeManifest(root, ["a.strata", "b.strata"])
            // Flip a byte of the id hash in b.strata record 1's entry header (the manifest CRC is not
            // consulted on open).
            let offset = try ShardReader(path: root + "/b.strata").rowOffset(1) + 16
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: root + "/b.strata"))
            try handle.seek(toOffset: UInt64(offset))
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: [byte ^ 0xFF])
            try handle.close()
            let dataset = try StrataDataset(path: root)
            #expect(try dataset.info(2).id == "r2")
            #expect(throws: StrataError.self) { try dataset.info(3) }
        }
    }
}
