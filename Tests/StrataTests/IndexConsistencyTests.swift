import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// Spec §7: an index row whose CRCs are valid but whose fields disagree with its record entry is
/// corruption. These tests rewrite one field of one row and re-seal the index CRCs, so only the
/// row checks can catch it: the layout check at open (stored bytes, block count) or the
/// row-versus-entry check when the record is read (token count).
@Suite struct IndexConsistencyTests {
    /// Byte offset of each u64/u32 field inside a 32-byte index row.
    enum RowField: Int, CaseIterable {
        case storedBytes = 16, nTokens = 24, blockCount = 28
        var width: Int { self == .storedBytes ? 8 : 4 }
    }

    static func indexOffset(_ bytes: [UInt8]) -> Int {
        let t = bytes.count - Trailer.size + 8
        return (0..<8).reduce(0) { $0 | Int(bytes[t + $1]) << (8 * $1) }
    }

    /// Adds 1 to `field` of row `row` and recomputes the index body and header CRCs (spec §7).
    static func rewrite(_ bytes: inout [UInt8], row: Int, field: RowField) {
        let index = indexOffset(bytes)
        let at = index + ShardIndex.headerSize + 32 * row + field.rawValue
        bytes[at] &+= 1 // little-endian: the least significant byte
        let count = (bytes.count - Trailer.size) - (index + ShardIndex.headerSize)
        let bodyCRC = CRC32C.checksum(bytes[(index + ShardIndex.headerSize)..<(index + ShardIndex.headerSize + count)])
        put(&bytes, bodyCRC, at: index + 24)
        put(&bytes, CRC32C.checksum(bytes[index..<(index + 28)]), at: index + 28)
    }

    static func put(_ bytes: inout [UInt8], _ value: UInt32, at offset: Int) {
        for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
    }

    @Test(arguments: RowField.allCases)
    func rowDisagreeingWithItsEntryIsCorrupt(field: RowField) throws {
        try withTemporaryDirectory { dir in
            let (_, expected, original) = try CorruptionTests.makeShard(dir)
            var bytes = original
            Self.rewrite(&bytes, row: 1, field: field)
            let bad = dir + "/tampered.strata"
            #expect(FileManager.default.createFile(atPath: bad, contents: Data(bytes)))
            // stored_bytes and block_count also say where the record's entry lies (its blocks fill the space
            // before it without a gap, spec §1/§7), so changing them is caught when the shard opens.
            if field != .nTokens {
                do {
                    _ = try ShardReader(path: bad)
                    Issue.record("a row that disagrees with the layout (\(field)) was accepted")
                } catch let error as StrataError {
                    #expect(error.kind == .corrupt && error.record == 1 && "\(error)".contains("index row"), "\(error)")
                }
                return
            }
            // The index itself still passes its CRCs and lays out the body: the shard opens.
            let reader = try ShardReader(path: bad)
            #expect(reader.count == expected.count)
            // Records 0 and 2 are untouched; record 1 is refused as corrupt, naming the record.
            #expect(try reader.readFloat(0) == expected[0])
            #expect(try reader.readFloat(2) == expected[2])
            do {
                _ = try reader.readFloat(1)
                Issue.record("a row that disagrees with its entry (\(field)) was accepted")
            } catch let error as StrataError {
                #expect(error.record == 1)
                #expect("\(error)".contains("index row"))
            }
        }
    }
}
