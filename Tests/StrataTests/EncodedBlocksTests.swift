import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// `ShardWriter.append(_:blocks:)`: records assembled from pre-encoded blocks (and values) read back
/// exactly like records the writer encoded itself; bad blocks are refused before anything is written.
@Suite struct EncodedBlocksTests {
    static let layers = 3, hidden = 8

    /// A reference shard written with `append(_:values:)`, and its stored blocks.
    static func reference(in dir: String) throws -> (path: String, values: [[Float]], inputs: [RecordInput]) {
        let path = dir + "/reference.strata"
        let writer = try ShardWriter(
            path: path, metadata: testMetadata(layers: layers, hidden: hidden, dtype: .f16),
            options: WriterOptions(blockTargetBytes: 64, layersPerBlock: 2))
        var values: [[Float]] = [], inputs: [RecordInput] = []
        for index in 0..<2 {
            let tokens = 5 + index
            // Smooth values so that zstd shrinks the blocks (stored as zstd frames, not raw).
            let record = (0..<(layers * tokens * hidden)).map { Float(($0 / 7) % 5) * 0.25 }
            let input = RecordInput(id: "r\(index)", labels: [index], tokenIDs: (0..<tokens).map { Int32($0) })
            try record.withUnsafeBufferPointer { try writer.append(input, values: .f32($0)) }
            values.append(record)
            inputs.append(input)
        }
        try writer.close()
        return (path, values, inputs)
    }

    @Test func preEncodedBlocksReadBackLikeEncodedOnes() throws {
        try withTemporaryDirectory { dir in
            let (path, _, inputs) = try Self.reference(in: dir)
            let reference = try ShardReader(path: path)
            let copy = dir + "/copy.strata"
            let writer = try ShardWriter(path: copy, metadata: reference.metadata)
            var zstdBlocks = 0
            for index in 0..<reference.count {
                var blocks: [RecordBlock] = []
                for k in 0..<(try reference.blockCount(index)) {
                    let stored = try reference.storedBlock(index, block: k)
                    if stored.codec == "zstd" { zstdBlocks += 1 }
                    if index == 1 && k == 0 {
                        // One block handed over as values (decoded from the reference) instead.
                        let f32 = try reference.readFloat(
                            index, layers: Array(stored.layerStart..<stored.layerStart + stored.layerCount),
                            tokens: stored.tokenStart..<stored.tokenStart + stored.tokenCount)
                        let bits = f32.map { Float16($0).bitPattern }
                        let buffer = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: bits.count)
                        _ = buffer.initialize(from: bits)
                        defer { buffer.deallocate() }
                        blocks.append(
                            .values(
                                layerStart: stored.layerStart, layerCount: stored.layerCount, tokenStart: stored.tokenStart,
                                tokenCount: stored.tokenCount, .f16(UnsafeBufferPointer(buffer))))
                        try writer.append(
                            inputs[index],
                            blocks: blocks
                                + (1..<(try reference.blockCount(index))).map {
                                    .encoded(try reference.storedBlock(index, block: $0))
                                })
                        blocks = []
                        break
                    }
                    blocks.append(.encoded(stored))
                }
                if !blocks.isEmpty { try writer.append(inputs[index], blocks: blocks) }
            }
            try writer.close()
            #expect(zstdBlocks > 0)
            let reader = try ShardReader(path: copy)
            #expect(reader.count == reference.count)
            for index in 0..<reference.count {
                #expect(try reader.readFloat(index) == (try reference.readFloat(index)), "record \(index)")
                #expect(try reader.info(index).id == (try reference.info(index)).id)
                for k in 0..<(try reference.blockCount(index)) {
                    #expect(
                        try reader.storedBlock(index, block: k) == (try reference.storedBlock(index, block: k)),
                        "record \(index) block \(k)")
                }
            }
        }
    }

    @Test func badBlocksAreRefusedAndNothingIsWritten() throws {
        try withTemporaryDirectory { dir in
            let (path, _, inputs) = try Self.reference(in: dir)
            let reference = try ShardReader(path: path)
            let blocks = try (0..<(try reference.blockCount(0))).map { try reference.storedBlock(0, block: $0) }
            let zstdIndex = try #require(blocks.firstIndex { $0.codec == "zstd" })
            let copy = dir + "/copy.strata"
            let writer = try ShardWriter(path: copy, metadata: reference.metadata)

            func refused(_ candidate: [StoredBlock], _ kind: StrataError.Kind, _ what: String) {
                do {
                    try writer.append(inputs[0], blocks: candidate.map { .encoded($0) })
                    Issue.record("\(what) was accepted")
                } catch let error as StrataError {
                    #expect(error.kind == kind, "\(what): \(error)")
                    #expect(error.record == 0 && error.recordID == "r0", "\(what): \(error)")
                } catch {
                    Issue.record("\(what): \(error)")
                }
                #expect(
                    writer.recordCount == 0 && writer.byteCount == (try? FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int),
                    "\(what): something was left in the file")
            }
            refused(Array(blocks.dropLast()), .invalidArgument, "a missing block")
            var wrongSize = blocks
            wrongSize[0].rawSize += 2
            refused(wrongSize, .invalidArgument, "a wrong raw size")
            var wrongType = blocks
            wrongType[0].dtype = .bf16
            refused(wrongType, .invalidArgument, "a dtype mismatch")
            var badMagic = blocks
            badMagic[zstdIndex].payload[0] ^= 0xFF
            refused(badMagic, .corrupt, "a broken zstd frame header")
            var truncated = blocks
            truncated[zstdIndex].payload.removeLast()
            refused(truncated, .corrupt, "a truncated zstd frame")

            // The writer is still usable and the shard holds only what was accepted.
            try writer.append(inputs[0], blocks: blocks.map { .encoded($0) })
            try writer.close()
            let reader = try ShardReader(path: copy)
            #expect(reader.count == 1)
            #expect(try reader.readFloat(0) == (try reference.readFloat(0)))
        }
    }
}
