import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// The file calls that go through swift-system: `FileDescriptor`'s positioned reads and writes and
/// truncation, `AtomicFile`'s piecewise write and `ShardPlacement`'s copy, each checked against what
/// Foundation reads back, and the errors they raise naming the path, the step and the errno.
@Suite struct FileDescriptorTests {
    /// Deterministic bytes that are not all alike (xorshift).
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    @Test func positionedWritesReadsAndTruncationMatchTheFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/f.bin"
            let file = try FileDescriptor.openForWriting(path, create: true, truncate: true)
            let head = Self.bytes(1000, seed: 1), tail = Self.bytes(3 << 20, seed: 2)
            try file.write(head, at: 0)
            try file.write(tail, at: 5000) // leaves a hole of zeros
            #expect(try file.size() == 5000 + tail.count)
            var expected = head + [UInt8](repeating: 0, count: 4000) + tail
            #expect(try file.read(count: expected.count, at: 0) == expected)
            #expect(try file.read(count: 10, at: 995) == Array(expected[995..<1005]))
            try file.truncate(to: 2500)
            expected = Array(expected[..<2500])
            try file.sync()
            try file.close()
            #expect(FileManager.default.contents(atPath: path) == Data(expected))

            let reader = try FileDescriptor.openForReading(path)
            do {
                _ = try reader.read(count: 100, at: 2450)
                Issue.record("a read past the end was not refused")
            } catch let error as StrataError {
                #expect(error.kind == .truncated && error.path == path && error.offset == 2450)
                #expect(error.message.contains("file ends after 2500 bytes, 50 bytes short of a 100-byte read"))
            }
        }
    }

    @Test func openingAMissingFileNamesThePathAndTheReason() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/absent.strata"
            do {
                _ = try FileDescriptor.openForReading(path)
                Issue.record("a missing file was opened")
            } catch let error as StrataError {
                #expect(error.kind == .io && error.path == path)
                #expect(error.message == "cannot open for reading: No such file or directory (errno \(ENOENT))")
            }
        }
    }

    @Test func atomicFileWritesEveryPieceAndLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/out.json"
            let pieces = [Self.bytes(10, seed: 3), [], Self.bytes(2 << 20, seed: 4), Self.bytes(7, seed: 5)]
            try AtomicFile.write(to: target) { append in
                for piece in pieces { try piece.withUnsafeBytes { try append($0) } }
            }
            #expect(FileManager.default.contents(atPath: target) == Data(pieces.flatMap { $0 }))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.json"])
        }
    }

    @Test func atomicFileNamesTheStepThatFailed() throws {
        try withTemporaryDirectory { dir in
            do {
                try AtomicFile.write(Data("x".utf8), to: dir + "/missing/out.json")
                Issue.record("a file was written into a missing directory")
            } catch let DatasetOpsError.io(path, operation, code) {
                #expect(path.hasPrefix(dir + "/missing/.out.json.tmp-"))
                #expect(operation == "create" && code == ENOENT)
            }
        }
    }

    /// Larger than one 8 MiB read of the copy loop, with an odd tail.
    @Test func copiedShardIsByteForByteAndLeavesNoPartialFile() throws {
        try withTemporaryDirectory { dir in
            let source = dir + "/in.strata", destination = dir + "/out/in.strata"
            let contents = Data(Self.bytes((8 << 20) + 12_345, seed: 6))
            try contents.write(to: URL(fileURLWithPath: source))
            try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: false)
            #expect(try ShardPlacement.place(source, at: destination, mode: .copy) == .copied)
            #expect(FileManager.default.contents(atPath: destination) == contents)
            #expect(FileManager.default.contents(atPath: source) == contents)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out") == ["in.strata"])
        }
    }

    @Test func copyFromAMissingSourceNamesIt() throws {
        try withTemporaryDirectory { dir in
            let source = dir + "/gone.strata"
            do {
                try ShardPlacement.copy(source, to: dir + "/copy.strata")
                Issue.record("a missing source was copied")
            } catch let error as DatasetOpsError {
                #expect(error == .io(path: source, operation: "open", errno: ENOENT))
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(left.isEmpty)
        }
    }
}
