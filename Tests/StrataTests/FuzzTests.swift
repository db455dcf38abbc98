import Foundation
import StrataTestSupport
import StrataUtilities
import Testing

@testable import Strata

/// Seeded random damage: whatever happens to the bytes, readers and recovery either refuse cleanly
/// with a StrataError or return exactly the original values — never a crash, never wrong data.
@Suite struct FuzzTests {
    @Test func randomMultiByteDamageNeverYieldsWrongData() throws {
        try withTemporaryDirectory { dir in
            let (path, expected, original) = try CorruptionTests.makeShard(dir)
            var rng = SplitMix64(state: 2026)
            let bad = dir + "/fuzz.strata"
            var refused = 0
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { bytes.removeLast(Int.random(in: 0..<200, using: &rng)) }
                try Data(bytes).write(to: URL(fileURLWithPath: bad))
                if let values = readAll(bad) {
                    #expect(values.count == expected.count && zip(values, expected).allSatisfy { bitsEqual($0, $1) })
                } else {
                    refused += 1
                }
                // Recovery keeps a prefix of intact records, each exactly right, or refuses cleanly.
                if (try? ShardRecovery.recover(path: bad)) != nil, let values = readAll(bad) {
                    #expect(values.count <= expected.count)
                    for i in 0..<values.count { #expect(bitsEqual(values[i], expected[i]), "record \(i) after recovery") }
                }
            }
            #expect(refused > 100) // almost every damaged file is noticed (the rest were no-op writes)
            _ = path
        }
    }

    @Test func damagedIndexOrTrailerIsRebuiltByRecovery() throws {
        try withTemporaryDirectory { dir in
            let (path, expected, original) = try CorruptionTests.makeShard(dir)
            let regs = try regions(of: path)
            for name in ["index header", "index body", "trailer"] {
                let region = regs.first { $0.name == name }!
                var bytes = original
                bytes[region.range.lowerBound + 5] ^= 0x40
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                #expect(readAll(path) == nil)
                let report = try ShardRecovery.recover(path: path)
                #expect(report.recordsKept == expected.count && !report.alreadySealed)
                let values = try #require(readAll(path))
                #expect(zip(values, expected).allSatisfy { bitsEqual($0, $1) })
                #expect(try StrataVerifier.verify(path: path).records == expected.count)
            }
        }
    }

    @Test func randomGarbageFilesAreRefused() throws {
        try withTemporaryDirectory { dir in
            var rng = SplitMix64(state: 77)
            let path = dir + "/garbage.strata"
            for n in [0, 1, 31, 32, 33, 100, 5000] {
                var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if n >= 8 { bytes.replaceSubrange(0..<8, with: FileHeader.magic) } // even with a valid magic
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                #expect(throws: StrataError.self) { try ShardReader(path: path) }
                #expect(throws: StrataError.self) { try ShardRecovery.recover(path: path) }
                #expect(throws: StrataError.self) { try StrataVerifier.verify(path: path) }
            }
        }
    }
}
