import Foundation
import Strata
import StrataTestSupport
import Testing

/// Issue 12.5: `strata export-hdf5` had its own block parser and exported (exit 0) blocks that
/// `verify` and `stream` refuse. It now reads through the one `ShardReader`, so every block header
/// check comes with it: each damaged header below is refused by export exactly as by verify.
@Suite struct HDF5ExportValidationTests {
    /// One block header field to overwrite: its offset in the 72-byte header (spec/FORMAT.md §5) and
    /// the new bytes (the header CRC is recomputed, so only the field itself is wrong).
    struct Damage: CustomTestStringConvertible, Sendable {
        var name: String
        var offset: Int
        var bytes: @Sendable (ArraySlice<UInt8>) -> [UInt8]
        var testDescription: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "shuffle flag 5", offset: 46) { _ in [5] },
        Damage(name: "codec 0 with stored != raw size", offset: 45) { _ in [0] },
        Damage(name: "raw_size + 2", offset: 48) { field in littleEndian(u64(field) + 2) },
        Damage(name: "dtype f16 in a bf16 shard", offset: 44) { _ in [1] },
        Damage(name: "hidden + 1", offset: 40) { field in Array(littleEndian(u64(field) + 1).prefix(4)) },
        Damage(name: "ordinal 1 in record 0", offset: 8) { _ in littleEndian(1) }
    ]

    static func u64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    @Test(arguments: damages)
    func exportRefusesWhatVerifyRefuses(damage: Damage) throws {
        try withTemporaryDirectory { dir in
            let shard = dir + "/in.strata"
            let synth = try CLIRunner.run([
                "synth", "--out", shard, "--records", "3", "--min-tokens", "4", "--max-tokens", "9",
                "--layer-count", "2", "--hidden", "64", "--dtype", "bf16", "--seed", "3"
            ])
            try #require(synth.status == 0, "\(synth.stderr)")
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
            // Record 0's first block starts the body, right after the header and metadata (§2).
            let block = 32 + Int(Self.u64(bytes[16..<24]))
            try #require(
                bytes[block..<block + 4] == ArraySlice("SBLK".utf8) && bytes[block + 45] == 1,
                "the first block must be a zstd block for these damages")
            let field = bytes[(block + damage.offset)...].prefix(8)
            let replacement = damage.bytes(field)
            bytes.replaceSubrange(block + damage.offset..<block + damage.offset + replacement.count, with: replacement)
            let crc = CRC32C.checksum(bytes[block..<block + 68])
            bytes.replaceSubrange(block + 68..<block + 72, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
            let damaged = dir + "/damaged.strata"
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))

            let verify = try CLIRunner.run(["verify", damaged])
            #expect(verify.status != 0, "verify accepted \(damage.name)")
            for layout in ["groups", "layer-major"] {
                let h5 = dir + "/\(layout).h5"
                let clean = try CLIRunner.run(["export-hdf5", shard, h5, "--layout", layout])
                #expect(clean.status == 0, "the undamaged shard exports: \(clean.stderr)")
                try? FileManager.default.removeItem(atPath: h5)
                let export = try CLIRunner.run(["export-hdf5", damaged, h5, "--layout", layout])
                #expect(
                    !export.signaled && export.status == 1,
                    "\(layout) export of a shard with \(damage.name): exit \(export.status) \(export.stdout)")
                #expect(
                    export.stderr.contains(damaged) && export.stderr.contains("record 0") && export.stderr.contains("block 0"),
                    "\(layout): \(export.stderr)")
                #expect(!FileManager.default.fileExists(atPath: h5), "\(layout): a refused export left \(h5)")
            }
        }
    }
}
