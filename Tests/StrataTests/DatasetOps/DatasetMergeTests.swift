import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// `strata merge`: gathering worker shards without rewriting them, refusing incompatible or
/// duplicated inputs with messages that say what differs.
@Suite struct DatasetMergeTests {
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    @Test func twoWorkerOutputsMergeByHardLinkWithoutRewriting() throws {
        try withTemporaryDirectory { root in
            let a = try DatasetFixtures.writeShard(root + "/w0/part-0.strata", keys: [0, 2, 4, 6])
            let b = try DatasetFixtures.writeShard(root + "/w1/part-1.strata", keys: [1, 3, 5])
            let bytesA = FileManager.default.contents(atPath: a)
            let result = try DatasetMerge.merge(inputs: [root + "/w0", b], into: root + "/merged")
            #expect(result.placed.map(\.action) == [.linked, .linked])
            #expect(result.manifest.records == 7)
            #expect(Self.inode(a) == Self.inode(root + "/merged/part-0.strata"))
            #expect(FileManager.default.contents(atPath: root + "/merged/part-0.strata") == bytesA)
            let merged = try StrataDataset(path: root + "/merged")
            #expect(try DatasetFixtures.ids(merged) == [0, 2, 4, 6, 1, 3, 5].map(DatasetFixtures.id))
            try DatasetFixtures.expectFaithful(merged)
            #expect(merged.manifest?.shards.map(\.crc32c) == [try fileCRC32C(a), try fileCRC32C(b)])
        }
    }

    @Test func copyMoveAndInPlaceModes() throws {
        try withTemporaryDirectory { root in
            let a = try DatasetFixtures.writeShard(root + "/in/a.strata", keys: [0, 1])
            let b = try DatasetFixtures.writeShard(root + "/in/b.strata", keys: [2])
            let copied = try DatasetMerge.merge(inputs: [a], into: root + "/copy", mode: .copy)
            #expect(copied.placed.map(\.action) == [.copied])
            #expect(Self.inode(a) != Self.inode(root + "/copy/a.strata"))
            let moved = try DatasetMerge.merge(inputs: [b], into: root + "/moved", mode: .move)
            #expect(moved.placed.map(\.action) == [.moved])
            #expect(!FileManager.default.fileExists(atPath: b))
            // Shards written straight into the output directory are referenced where they are.
            let c = try DatasetFixtures.writeShard(root + "/inplace/sub/c.strata", keys: [5, 6])
            let inPlace = try DatasetMerge.merge(inputs: [c], into: root + "/inplace")
            #expect(inPlace.placed.map(\.action) == [.referenced])
            #expect(inPlace.manifest.shards.map(\.path) == ["sub/c.strata"])
            try DatasetFixtures.expectFaithful(StrataDataset(path: root + "/inplace"))
            try DatasetFixtures.expectFaithful(StrataDataset(path: root + "/moved"))
        }
    }

    @Test func sameFileNamesFromTwoWorkersGetDistinctNames() throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/w0/shard.strata", keys: [0])
            try DatasetFixtures.writeShard(root + "/w1/shard.strata", keys: [1])
            let result = try DatasetMerge.merge(inputs: [root + "/w0/shard.strata", root + "/w1/shard.strata"], into: root + "/out")
            #expect(result.manifest.shards.map(\.path) == ["shard.strata", "shard-2.strata"])
        }
    }

    @Test(arguments: [
        ("hidden", DatasetFixtures.metadata(hidden: 5)),
        ("dtype", DatasetFixtures.metadata(dtype: .bf16)),
        ("model.name", DatasetFixtures.metadata(model: "other-model"))
    ])
    func incompatibleMetadataIsRefusedNamingTheField(field: String, other: StrataMetadata) throws {
        try withTemporaryDirectory { root in
            let a = try DatasetFixtures.writeShard(root + "/a.strata", keys: [0])
            let b = try DatasetFixtures.writeShard(root + "/b.strata", keys: [1], metadata: other)
            do {
                _ = try DatasetMerge.merge(inputs: [a, b], into: root + "/out")
                Issue.record("merge of incompatible shards succeeded")
            } catch let error as DatasetOpsError {
                guard case let .incompatibleMetadata(reported, _, _, otherLabel, _) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(reported == field)
                #expect(otherLabel == b)
                #expect(error.description.contains("'\(field)'"))
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/out/manifest.json"))
        }
    }

    @Test func layerListDifferenceIsNamed() throws {
        var fewer = DatasetFixtures.metadata()
        fewer.layers[2] = LayerInfo(index: 2, kind: "block")
        #expect(MetadataCompatibility.firstDifference(DatasetFixtures.metadata(), fewer)?.field == "layers")
        var otherWeights = DatasetFixtures.metadata()
        otherWeights.model?.fileSHA256 = "ab12"
        let difference = MetadataCompatibility.firstDifference(DatasetFixtures.metadata(), otherWeights)
        #expect(difference?.field == "model.file_sha256")
        #expect(difference?.second == "\"ab12\"")
        var newerTool = DatasetFixtures.metadata()
        newerTool.toolVersion = "9.9"
        newerTool.extra = ["worker": "3"]
        #expect(MetadataCompatibility.firstDifference(DatasetFixtures.metadata(), newerTool) == nil)
    }

    /// Raw texts and chat-templated prompts give different hidden states for the same text: merge
    /// refuses to mix them, and names the key and both values.
    @Test func promptFormatDifferenceIsNamed() throws {
        var templated = DatasetFixtures.metadata()
        templated.extra = [StrataMetadata.PromptKey.chatTemplate: "chatml", "capture.input": "a.jsonl"]
        var raw = DatasetFixtures.metadata()
        raw.extra = ["capture.input": "b.jsonl"]
        let difference = MetadataCompatibility.firstDifference(raw, templated)
        #expect(difference?.field == "extra.capture.chat_template")
        #expect(difference?.first == "none")
        #expect(difference?.second == "\"chatml\"")
        var otherSystem = templated
        otherSystem.extra[StrataMetadata.PromptKey.chatSystem] = "Be brief."
        #expect(MetadataCompatibility.firstDifference(templated, otherSystem)?.field == "extra.capture.chat_system")
        #expect(MetadataCompatibility.firstDifference(templated, templated) == nil)
    }

    @Test func duplicateIDsAndRepeatedShardsAreRefused() throws {
        try withTemporaryDirectory { root in
            let a = try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1])
            let b = try DatasetFixtures.writeShard(root + "/b.strata", keys: [1, 2])
            #expect(throws: DatasetOpsError.duplicateRecordID(id: "r1", first: a, second: b)) {
                try DatasetMerge.merge(inputs: [a, b], into: root + "/out")
            }
            #expect(throws: DatasetOpsError.self) { try DatasetMerge.merge(inputs: [a, a], into: root + "/out2") }
        }
    }

    @Test func appendAddsShardsAndKeepsExistingEntries() throws {
        try withTemporaryDirectory { root in
            let a = try DatasetFixtures.writeShard(root + "/a.strata", keys: [0, 1])
            let b = try DatasetFixtures.writeShard(root + "/b.strata", keys: [2])
            let first = try DatasetMerge.merge(inputs: [a], into: root + "/ds")
            #expect(throws: DatasetOpsError.self) { try DatasetMerge.merge(inputs: [b], into: root + "/ds") }
            let second = try DatasetMerge.merge(inputs: [b], into: root + "/ds", append: true)
            #expect(Array(second.manifest.shards.prefix(1)) == first.manifest.shards)
            #expect(second.manifest.records == 3)
            #expect(throws: DatasetOpsError.self) {
                try DatasetMerge.merge(inputs: [root + "/ds/a.strata"], into: root + "/ds", append: true)
            }
            try DatasetFixtures.expectFaithful(StrataDataset(path: root + "/ds"))
        }
    }

    @Test func manifestPathsLeavingTheDatasetAreRefusedOnOpen() throws {
        try withTemporaryDirectory { root in
            try DatasetFixtures.writeShard(root + "/secret.strata", keys: [0])
            try DatasetFixtures.writeShard(root + "/ds/ok.strata", keys: [1])
            try FileManager.default.createSymbolicLink(atPath: root + "/ds/link.strata", withDestinationPath: root + "/secret.strata")
            for entry in ["../secret.strata", root + "/secret.strata", "link.strata", "sub/../../secret.strata"] {
                var manifest = try DatasetManifest.build(directory: root + "/ds", shardPaths: ["ok.strata"])
                manifest.shards.append(DatasetManifest.Shard(path: entry, records: 1, bytes: 1, crc32c: "00000000"))
                manifest.records = 2
                try manifest.write(directory: root + "/ds")
                do {
                    _ = try StrataDataset(path: root + "/ds")
                    Issue.record("manifest entry \(entry) was accepted")
                } catch {
                    // Lexical escapes are caught when the manifest is read, symbolic links when it is resolved.
                    #expect("\(error)".contains("inside"), "\(error)")
                }
            }
        }
    }
}
