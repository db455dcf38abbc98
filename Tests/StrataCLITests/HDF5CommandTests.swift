import Foundation
import Strata
import StrataTestSupport
import Testing

/// `strata export-hdf5` and `strata import-hdf5` end to end: a synthetic shard goes out to HDF5 in
/// every layout and comes back with the same values; a file that fits no layout fails with a
/// message listing its datasets.
@Suite struct HDF5CommandTests {
    @Test func exportThenImportKeepsEveryValue() throws {
        try withTemporaryDirectory { directory in
            let shard = directory + "/in.strata"
            let synth = try CLIRunner.run([
                "synth", "--out", shard, "--records", "4", "--min-tokens", "2", "--max-tokens", "9",
                "--layer-count", "5", "--hidden", "24", "--dtype", "bf16", "--labels", "2"
            ])
            #expect(synth.status == 0, "\(synth.stderr)")
            let original = try ShardReader(path: shard)
            for (layout, compression) in [("groups", "zstd"), ("layer-major", "gzip"), ("token-major", "none")] {
                let h5 = directory + "/\(layout).h5", back = directory + "/\(layout).strata"
                let export = try CLIRunner.run(["export-hdf5", shard, h5, "--layout", layout, "--compression", compression])
                #expect(export.status == 0 && export.stdout.contains("exported 4 records"), "\(export.stdout)\(export.stderr)")
                let imported = try CLIRunner.run(["import-hdf5", h5, back])
                #expect(imported.status == 0 && imported.stdout.contains("imported 4 records"), "\(imported.stdout)\(imported.stderr)")
                let reader = try ShardReader(path: back)
                #expect(reader.metadata.isShapeCompatible(with: original.metadata))
                #expect(reader.count == original.count)
                for index in 0..<min(reader.count, original.count) {
                    #expect(try reader.info(index).labels == original.info(index).labels)
                    let a = try reader.readFloat(index).map(\.bitPattern), b = try original.readFloat(index).map(\.bitPattern)
                    #expect(a == b, "\(layout) record \(index)")
                }
            }
            let bad = try CLIRunner.run(["import-hdf5", directory + "/in.strata", directory + "/x.strata"])
            #expect(bad.status != 0 && bad.stderr.contains("not an HDF5 file"), "\(bad.stderr)")
            let badLayout = try CLIRunner.run([
                "import-hdf5", directory + "/groups.h5", directory + "/y.strata",
                "--layout", "tokens,heads,hidden"
            ])
            #expect(badLayout.status != 0 && badLayout.stderr.contains("unknown axis 'heads'"), "\(badLayout.stderr)")
        }
    }
}
