import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// Recovery commits only records that the reader accepts, so a recovered shard always reads back
/// (spec/FORMAT.md §8). Minimised from a fuzz/ shard finding: metadata declaring an auxiliary vector
/// of length 1 over records that carry 2 values (checksums recomputed) — the reader refused every
/// record, while recovery kept them all and reported the shard as soundly sealed.
@Suite struct RecoveryReadBackTests {
    @Test func recordsWithUndeclaredAuxiliaryLengthsAreNotCommitted() throws {
        try withTemporaryDirectory { dir in
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: VectorTests.vectors + "/bf16-two-records.strata")))
            let metadata = FileHeader.size..<(FileHeader.size + Int(bytes[16]) | Int(bytes[17]) << 8)
            let declared = Array(#""auxiliary":[{"length":2"#.utf8)
            let at = try #require(Self.firstIndex(of: declared, in: bytes, within: metadata))
            bytes[at + declared.count - 1] = UInt8(ascii: "1")
            HostileOffsetTests.putCRC(&bytes, at: 24, over: metadata)
            HostileOffsetTests.putCRC(&bytes, at: 28, over: 0..<28)
            let path = dir + "/undeclared-length.strata"
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            #expect(throws: StrataError.self) { _ = try ShardReader(path: path).info(0) }
            let report = try ShardRecovery.recover(path: path)
            #expect(report.recordsKept == 0)
            #expect(!report.alreadySealed)
            #expect(try ShardReader(path: path).count == 0)
        }
    }

    static func firstIndex(of needle: [UInt8], in bytes: [UInt8], within range: Range<Int>) -> Int? {
        range.lowerBound > range.upperBound - needle.count
            ? nil
            : (range.lowerBound...(range.upperBound - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }
}
