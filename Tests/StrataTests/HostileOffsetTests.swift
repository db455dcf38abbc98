import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// An offset near Int.max in an index row or a block reference, with every checksum recomputed so
/// that only the offset is wrong, is corruption. The reader's bounds checks added the offset to a
/// length and trapped on the overflow instead (found through the fuzz/ shard harness, fuzz/README.md).
@Suite struct HostileOffsetTests {
    static let hostileOffset = UInt64(Int.max) - 10

    @Test func indexRowOffsetNearIntMaxIsCorruption() throws {
        try withTemporaryDirectory { dir in
            let (path, _, original) = try CorruptionTests.makeShard(dir)
            let reader = try ShardReader(path: path)
            var bytes = original
            let index = reader.indexOffset, rows = index + ShardIndex.headerSize
            Self.put64(&bytes, at: rows, Self.hostileOffset) // row 0: entry offset
            Self.putCRC(&bytes, at: index + 24, over: rows..<(reader.fileSize - Trailer.size))
            Self.putCRC(&bytes, at: index + 28, over: index..<(index + 28))
            let damaged = try Self.write(bytes, in: dir)
            #expect(Self.corruptionKind { _ = try ShardReader(path: damaged) } == .corrupt)
        }
    }

    @Test func blockReferenceOffsetNearIntMaxIsCorruption() throws {
        try withTemporaryDirectory { dir in
            let (path, _, original) = try CorruptionTests.makeShard(dir)
            let reader = try ShardReader(path: path)
            let entry = try reader.rowOffset(0), length = try reader.rowLength(0)
            // The body ends with the block references; the first one starts with its u64 offset.
            let firstReference = entry + length - (try reader.entry(0)).blocks.count * BlockRef.size
            var bytes = original
            Self.put64(&bytes, at: firstReference, Self.hostileOffset)
            Self.putCRC(&bytes, at: entry + 32, over: (entry + RecordEntry.headerSize)..<(entry + length))
            Self.putCRC(&bytes, at: entry + 44, over: entry..<(entry + 44))
            let damaged = try ShardReader(path: try Self.write(bytes, in: dir))
            #expect(Self.corruptionKind { _ = try damaged.info(0) } == .corrupt)
        }
    }

    /// The kind of the StrataError `body` throws (nil when it throws nothing or something else).
    static func corruptionKind(_ body: () throws -> Void) -> StrataError.Kind? {
        do { try body() } catch let error as StrataError { return error.kind } catch { return nil }
        return nil
    }

    static func write(_ bytes: [UInt8], in dir: String) throws -> String {
        let path = dir + "/hostile-offset.strata"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func put64(_ bytes: inout [UInt8], at offset: Int, _ value: UInt64) {
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    static func putCRC(_ bytes: inout [UInt8], at offset: Int, over range: Range<Int>) {
        let crc = CRC32C.checksum(bytes[range])
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }
}
