import Foundation
import Strata
import StrataTestSupport
import Testing

/// `strata import-hdf5` on files h5py writes that used to crash, drop data silently, or blame the
/// wrong thing: a 2 KB file declaring a 4 TiB record, side datasets that do not fit the records,
/// duplicate ids, and auxiliary vectors without Strata metadata.
@Suite struct HDF5ImportRobustnessTests {
    /// Runs an h5py script with `sys.argv[1]` = `directory`; a failure (no h5py included) fails the test.
    static func h5py(_ script: String, in directory: String) throws {
        let (status, _, stderr) = try PythonReaderTests.python(["-c", "import sys, h5py, numpy as np\n" + script, directory])
        try #require(status == 0, "h5py fixture script failed (tools/setup --python installs h5py): \(stderr)")
    }

    /// Imports `file` and expects a clean failure (exit 1, no signal, no output shard) whose message
    /// contains every fragment.
    static func expectRefused(
        _ arguments: [String], output: String, mentions fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try CLIRunner.run(["import-hdf5"] + arguments)
        #expect(!result.signaled && result.status == 1, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "'\(fragment)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
        }
        #expect(
            !FileManager.default.fileExists(atPath: output) || (try? ShardReader(path: output)) == nil,
            "a refused import left a readable shard", sourceLocation: sourceLocation)
    }

    /// Issue 12.2: each dimension is within its limit, their product (64 × 2^24 × 1024 × 4 bytes) is
    /// not. Used to abort with "failed to allocate 4398046511136 bytes".
    @Test func recordLargerThanTheFormatAllowsIsRefusedBeforeAllocating() throws {
        try withTemporaryDirectory { dir in
            try Self.h5py(
                """
                f = h5py.File(sys.argv[1] + '/huge.h5', 'w')
                f.create_dataset('hidden_states', shape=(2**24, 64, 1024), dtype='f4', chunks=(1, 64, 1024))
                f.create_dataset('offsets', data=np.array([0, 2**24]))
                f.close()
                """, in: dir)
            let size = try FileManager.default.attributesOfItem(atPath: dir + "/huge.h5")[.size] as? Int ?? 0
            #expect(size < 16 << 10, "the fixture is a small file (\(size) bytes)")
            try Self.expectRefused(
                [dir + "/huge.h5", dir + "/out.strata"], output: dir + "/out.strata",
                mentions: [
                    "huge.h5", "/hidden_states", "record 0", "64 layers × 16777216 tokens × 1024 hidden × 4 bytes",
                    "4.00 TiB", "over the limit of 4.00 GiB per record"
                ])
        }
    }

    /// Issue 12.6: auto-detected labels or token ids that do not fit used to be dropped (exit 0,
    /// unlabelled records); now an error naming the dataset and the mismatch, with --ignore as the
    /// explicit way to leave them out.
    @Test func mismatchedAutoDetectedSideDataIsAnErrorNotADrop() throws {
        try withTemporaryDirectory { dir in
            try Self.h5py(
                """
                d = sys.argv[1]
                for name, extra in [('labels', 'labels'), ('tokens', 'token_ids')]:
                    with h5py.File(f'{d}/{name}.h5', 'w') as f:
                        f['hidden_states'] = np.ones((10, 2, 4), dtype='f4')
                        f['offsets'] = np.array([0, 3, 7, 10])
                        if extra == 'labels':
                            f['labels'] = np.array([0, 1, 0, 1])          # 4 labels for 3 records
                            f['token_ids'] = np.arange(10)
                        else:
                            f['labels'] = np.array([0, 1, 1])
                            f['token_ids'] = np.arange(12)                # 12 ids for 10 tokens
                """, in: dir)
            try Self.expectRefused(
                [dir + "/labels.h5", dir + "/l.strata"], output: dir + "/l.strata",
                mentions: ["labels.h5", "/labels", "shape [4]", "3 records", "--ignore /labels"])
            try Self.expectRefused(
                [dir + "/tokens.h5", dir + "/t.strata"], output: dir + "/t.strata",
                mentions: ["tokens.h5", "/token_ids", "shape [12]", "[10]", "--ignore /token_ids"])
            // An explicit --labels naming the misfit is refused too (as it always was).
            try Self.expectRefused(
                [dir + "/labels.h5", dir + "/e.strata", "--labels", "labels"], output: dir + "/e.strata",
                mentions: ["/labels", "shape [4]"])

            // --ignore leaves the misfit out on purpose; everything else still imports.
            let ignored = try CLIRunner.run(["import-hdf5", dir + "/labels.h5", dir + "/ok.strata", "--ignore", "/labels"])
            #expect(ignored.status == 0, "\(ignored.stderr)")
            let reader = try ShardReader(path: dir + "/ok.strata")
            #expect(reader.count == 3)
            #expect(try (0..<3).map { try reader.info($0).labels } == [[], [], []])
            #expect(try (0..<3).map { try reader.info($0).tokenIDs } == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]])
        }
    }

    /// Issue 12: a duplicate id used to be reported against the output shard; the fault is in the
    /// HDF5 file, so the message names it, the dataset, the id and both rows.
    @Test func duplicateIDNamesTheHDF5DatasetAndRows() throws {
        try withTemporaryDirectory { dir in
            try Self.h5py(
                """
                d = sys.argv[1]
                with h5py.File(d + '/dup.h5', 'w') as f:
                    f['hidden_states'] = np.ones((10, 2, 4), dtype='f4')
                    f['offsets'] = np.array([0, 3, 7, 9, 10])
                    f.create_dataset('ids', data=['a', 'b', 'c', 'b'], dtype=h5py.string_dtype())
                with h5py.File(d + '/dup_groups.h5', 'w') as f:
                    for i, ident in enumerate(['x', 'y', 'x']):
                        g = f.create_group(f'ex{i}')
                        g['hidden'] = np.ones((2 + i, 4), dtype='f4')
                        g.attrs['id'] = ident
                """, in: dir)
            try Self.expectRefused(
                [dir + "/dup.h5", dir + "/d.strata"], output: dir + "/d.strata",
                mentions: ["dup.h5", "record id \"b\" appears twice", "/ids row 1", "/ids row 3"])
            try Self.expectRefused(
                [dir + "/dup_groups.h5", dir + "/g.strata"], output: dir + "/g.strata",
                mentions: ["dup_groups.h5", "record id \"x\" appears twice", "attribute id of /ex0", "attribute id of /ex2"])
        }
    }

    /// Issue 11.7 (spec/HDF5.md §5): without `strata_metadata`, /auxiliary/* is imported (it used to be
    /// dropped), and the metadata says the layers' meaning is unknown instead of claiming Hugging Face
    /// semantics.
    @Test func auxiliaryVectorsWithoutStrataMetadataAreImportedAndLayersAreUnknown() throws {
        try withTemporaryDirectory { dir in
            try Self.h5py(
                """
                d = sys.argv[1]
                with h5py.File(d + '/aux.h5', 'w') as f:
                    f['hidden_states'] = np.arange(2 * 5 * 3, dtype='f4').reshape(5, 2, 3)
                    f['offsets'] = np.array([0, 2, 5])
                    f['auxiliary/scores'] = np.array([0.5, 1.5, 2.5, 3.5], dtype='f4')
                    f['auxiliary/scores_offsets'] = np.array([0, 1, 4])
                    f['auxiliary/logits'] = np.array([1, 2, 3, 4], dtype='f4')
                    f['auxiliary/logits_offsets'] = np.array([0, 2, 4])
                with h5py.File(d + '/aux_bad.h5', 'w') as f:
                    f['hidden_states'] = np.ones((5, 2, 3), dtype='f4')
                    f['offsets'] = np.array([0, 2, 5])
                    f['auxiliary/scores'] = np.array([0.5, 1.5, 2.5], dtype='f4')
                    f['auxiliary/scores_offsets'] = np.array([0, 1, 4])
                """, in: dir)
            let result = try CLIRunner.run(["import-hdf5", dir + "/aux.h5", dir + "/aux.strata"])
            #expect(result.status == 0, "\(result.stderr)")
            let reader = try ShardReader(path: dir + "/aux.strata")
            #expect(reader.metadata.auxiliary == [AuxiliaryInfo(name: "logits", length: 2), AuxiliaryInfo(name: "scores", length: nil)])
            #expect(try reader.auxiliary(0, name: "scores") == [0.5] && reader.auxiliary(1, name: "scores") == [1.5, 2.5, 3.5])
            #expect(try reader.auxiliary(0, name: "logits") == [1, 2] && reader.auxiliary(1, name: "logits") == [3, 4])
            #expect(reader.metadata.layerSemantics == "unknown")
            #expect(reader.metadata.layers == [LayerInfo(index: 0, kind: "unknown"), LayerInfo(index: 1, kind: "unknown")])
            #expect(reader.metadata.extra["layer_info"]?.contains("positions in the file") == true)
            #expect(try StrataVerifier.verify(path: dir + "/aux.strata").records == 2)

            try Self.expectRefused(
                [dir + "/aux_bad.h5", dir + "/bad.strata"], output: dir + "/bad.strata",
                mentions: ["aux_bad.h5", "/auxiliary/scores_offsets", "does not delimit 2 records"])
        }
    }
}
