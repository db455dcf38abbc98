import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// A byte range of a shard with a name, for corruption and truncation tests.
struct Region {
    var name: String
    var range: Range<Int>
}

/// The regions of a sealed shard, computed from its index and record entries.
func regions(of path: String) throws -> [Region] {
    let r = try ShardReader(path: path)
    var out = [Region(name: "file header", range: 0..<FileHeader.size), Region(name: "metadata", range: FileHeader.size..<r.bodyStart)]
    for i in 0..<r.count {
        let e = try r.entry(i)
        for (b, ref) in e.blocks.enumerated() {
            out.append(Region(name: "record \(i) block \(b) header", range: ref.offset..<(ref.offset + BlockHeader.size)))
            out.append(
                Region(
                    name: "record \(i) block \(b) payload",
                    range: (ref.offset + BlockHeader.size)..<(ref.offset + BlockHeader.size + ref.storedSize)))
        }
        let o = try r.rowOffset(i), n = try r.rowLength(i)
        out.append(Region(name: "record \(i) entry header", range: o..<(o + RecordEntry.headerSize)))
        out.append(Region(name: "record \(i) entry body", range: (o + RecordEntry.headerSize)..<(o + n)))
    }
    out.append(Region(name: "index header", range: r.indexOffset..<(r.indexOffset + ShardIndex.headerSize)))
    out.append(Region(name: "index body", range: (r.indexOffset + ShardIndex.headerSize)..<(r.fileSize - Trailer.size)))
    out.append(Region(name: "trailer", range: (r.fileSize - Trailer.size)..<r.fileSize))
    return out
}

/// Reads every record of a shard; returns nil when anything throws a StrataError (a clean refusal).
/// Any other error type fails the test.
func readAll(_ path: String) -> [[Float]]? {
    do {
        let r = try ShardReader(path: path)
        return try (0..<r.count).map { try r.readFloat($0) }
    } catch is StrataError {
        return nil
    } catch {
        Issue.record("non-Strata error: \(error)")
        return nil
    }
}

@Suite struct CorruptionTests {
    static func makeShard(_ dir: String) throws -> (String, [[Float]], [UInt8]) {
        let (path, _, expected) = try writeShard(
            dir: dir, layers: 3, hidden: 16, dtype: .bf16, tokenCounts: [5, 9, 3],
            options: WriterOptions(zstdLevel: 1, blockTargetBytes: 256, layersPerBlock: 1))
        return (path, expected, [UInt8](FileManager.default.contents(atPath: path)!))
    }

    @Test func flippedByteInEveryRegionIsReportedNeverReturnedAsData() throws {
        try withTemporaryDirectory { dir in
            let (path, expected, original) = try Self.makeShard(dir)
            let regs = try regions(of: path)
            // 3 records × 3 layers with 8-token blocks: 3 + 6 + 3 blocks; header, metadata, 2 per block,
            // 2 per record entry, index header and body, trailer.
            #expect(regs.count == 2 + 2 * 12 + 2 * 3 + 3)
            // Regions tile the file exactly.
            #expect(regs.first!.range.lowerBound == 0 && regs.last!.range.upperBound == original.count)
            for (a, b) in zip(regs, regs.dropFirst()) { #expect(a.range.upperBound == b.range.lowerBound, "\(a.name) / \(b.name)") }
            let bad = dir + "/bad.strata"
            for region in regs {
                let picks = Set([
                    region.range.lowerBound, (region.range.lowerBound + region.range.upperBound) / 2, region.range.upperBound - 1
                ])
                for position in picks {
                    var bytes = original
                    bytes[position] ^= 0x10
                    try Data(bytes).write(to: URL(fileURLWithPath: bad))
                    // verify must name a problem.
                    #expect(throws: StrataError.self, "verify missed a flip at \(position) in \(region.name)") {
                        try StrataVerifier.verify(path: bad)
                    }
                    // Reading either fails cleanly or returns exactly the original values.
                    if let values = readAll(bad) {
                        #expect(
                            values.count == expected.count && zip(values, expected).allSatisfy { bitsEqual($0, $1) },
                            "wrong data returned after a flip at \(position) in \(region.name)")
                    }
                    // Any error message names the shard path.
                    do { _ = try StrataVerifier.verify(path: bad) } catch let e as StrataError { #expect(e.description.contains(bad)) }
                }
            }
        }
    }

    @Test func corruptedBlockPayloadErrorNamesRecordAndBlock() throws {
        try withTemporaryDirectory { dir in
            let (path, _, original) = try Self.makeShard(dir)
            let payload = try regions(of: path).first { $0.name == "record 1 block 2 payload" }!
            var bytes = original
            bytes[payload.range.lowerBound + 1] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let r = try ShardReader(path: path)
            #expect(try r.readFloat(0).count == 3 * 5 * 16) // other records still readable
            do {
                _ = try r.readFloat(1)
                Issue.record("corrupt block was returned as data")
            } catch let e as StrataError {
                #expect(e.kind == .corrupt)
                #expect(e.record == 1)
                #expect(e.recordID == (try r.info(1)).id)
                #expect(e.block == 2)
                #expect(e.offset == payload.range.lowerBound - BlockHeader.size)
                #expect(e.description.contains("checksum"))
            }
        }
    }

    @Test func truncationAtEveryRegionBoundaryIsUnsealedThenRecoversCompletedRecords() throws {
        try withTemporaryDirectory { dir in
            let (path, expected, original) = try Self.makeShard(dir)
            let regs = try regions(of: path)
            let entryEnds = regs.filter { $0.name.hasSuffix("entry body") }.map(\.range.upperBound)
            let cut = dir + "/cut.strata"
            var boundaries = Set(regs.map(\.range.lowerBound))
            boundaries.formUnion(regs.map { $0.range.lowerBound + 1 })
            boundaries.remove(0)
            for length in boundaries.sorted() where length < original.count {
                try Data(original[0..<length]).write(to: URL(fileURLWithPath: cut))
                do {
                    _ = try ShardReader(path: cut)
                    Issue.record("truncated file (\(length) bytes) opened as a shard")
                } catch let e as StrataError {
                    #expect(e.kind == .unsealed || e.kind == .notAShard || e.kind == .truncated, "length \(length): \(e)")
                    if e.kind == .unsealed { #expect(e.description.contains("strata recover")) }
                }
                let complete = entryEnds.filter { $0 <= length }.count
                if length < regs[1].range.upperBound {
                    // Header or metadata incomplete: nothing to recover, and recovery says so cleanly.
                    #expect(throws: StrataError.self) { try ShardRecovery.recover(path: cut) }
                    continue
                }
                let report = try ShardRecovery.recover(path: cut)
                #expect(report.recordsKept == complete, "length \(length)")
                #expect(report.bytesDropped == length - (complete == 0 ? regs[1].range.upperBound : entryEnds[complete - 1]))
                let values = readAll(cut)
                #expect(values != nil)
                if let values {
                    #expect(values.count == complete)
                    for i in 0..<values.count { #expect(bitsEqual(values[i], expected[i])) }
                }
                // Recovering again changes nothing.
                #expect(try ShardRecovery.recover(path: cut).alreadySealed)
                #expect(try StrataVerifier.verify(path: cut).records == complete)
            }
        }
    }

    @Test func appendingToARecoveredOrSealedShardResumes() throws {
        try withTemporaryDirectory { dir in
            let (path, expected, original) = try Self.makeShard(dir)
            let entryEnds = try regions(of: path).filter { $0.name.hasSuffix("entry body") }.map(\.range.upperBound)
            // A writer killed in the middle of record 2: records 0 and 1 survive, then we resume.
            try Data(original[0..<(entryEnds[1] + 100)]).write(to: URL(fileURLWithPath: path))
            let writer = try ShardWriter(appendingTo: path, options: WriterOptions(zstdLevel: 1))
            #expect(writer.recordCount == 2)
            #expect(writer.metadata.hidden == 16)
            let extra = randomValues(3 * 4 * 16, seed: 99, hidden: 16)
            // Ids already present are refused; new ones appended.
            #expect(throws: StrataError.self) {
                try extra.withUnsafeBufferPointer {
                    try writer.append(
                        RecordInput(id: "rec-0-ünï©ødé-🙂", tokenIDs: [1, 2, 3, 4], auxiliary: ["logprobs": [0, 0, 0]]), values: .f32($0))
                }
            }
            try extra.withUnsafeBufferPointer {
                try writer.append(RecordInput(id: "resumed", tokenIDs: [1, 2, 3, 4], auxiliary: ["logprobs": [0, 0, 0]]), values: .f32($0))
            }
            try writer.close()
            let r = try ShardReader(path: path)
            #expect(r.count == 3)
            let r0 = try r.readFloat(0), r1 = try r.readFloat(1)
            #expect(bitsEqual(r0, expected[0]) && bitsEqual(r1, expected[1]))
            #expect(bitsEqual(try r.readFloat(2), expectedStored(extra, .bf16)))
            #expect(try r.info(2).id == "resumed")
            #expect(try StrataVerifier.verify(path: path).records == 3)
            // Appending to a sealed shard works the same way.
            let again = try ShardWriter(appendingTo: path)
            #expect(again.recordCount == 3)
            try again.close()
            #expect(try ShardReader(path: path).count == 3)
        }
    }

    @Test func hostileSizesAreRefusedBeforeAllocating() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/tiny.strata"
            // A 1 KB file whose header claims a 1 TB metadata blob.
            var header = FileHeader(metadataLength: 1 << 40, metadataCRC: 0).encode()
            header += [UInt8](repeating: 0, count: 1024 - header.count)
            try Data(header).write(to: URL(fileURLWithPath: path))
            #expect(throws: StrataError.self) { try ShardReader(path: path) }
            // A block header claiming a 1 TB raw size.
            var block = BlockHeader(
                recordOrdinal: 0, idHash: 0, layerStart: 0, layerCount: 1, tokenStart: 0, tokenCount: 1, hidden: 1,
                dtype: .f32, codec: 1, shuffled: true, rawSize: 1 << 40, storedSize: 10, payloadCRC: 0
            ).encode()
            #expect(throws: StrataError.self) { try BlockHeader.decode(block) }
            // A zstd frame declaring more content than the block header says.
            let raw = [UInt8](repeating: 7, count: 4096)
            let compressor = try ZstdCompressor(level: 1)
            var frame = [UInt8](repeating: 0, count: ZstdCompressor.bound(raw.count))
            let n = try raw.withUnsafeBytes { src in try frame.withUnsafeMutableBytes { try compressor.compress(src, into: $0) } }
            frame = Array(frame[0..<n])
            let d = try ZstdDecompressor()
            var small = [UInt8](repeating: 0, count: 100)
            do {
                try frame.withUnsafeBytes { src in try small.withUnsafeMutableBytes { try d.decompress(src, into: $0) } }
                Issue.record("oversized frame accepted")
            } catch let e as StrataError {
                #expect(e.description.contains("declares 4096"))
            }
            // A record entry whose token count exceeds its body.
            block = []
            var body = ByteWriter()
            body.string("x")
            body.u32(1 << 23)
            body.u32(0)
            let header2 = RecordEntry.Header(
                ordinal: 0, idHash: recordIDHash("x"), bodyLength: body.count, bodyCRC: CRC32C.checksum(body.bytes), blockCount: 0)
            #expect(throws: StrataError.self) { try RecordEntry.decodeBody(body.bytes, header: header2) }
        }
    }

    @Test func unknownMajorVersionAndForeignFilesAreRejected() throws {
        try withTemporaryDirectory { dir in
            let (path, _, original) = try Self.makeShard(dir)
            var bytes = original
            bytes[8] = 2
            let crc = CRC32C.checksum(bytes[0..<28])
            for k in 0..<4 { bytes[28 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do { _ = try ShardReader(path: path); Issue.record("major 2 accepted") } catch let e as StrataError {
                #expect(e.kind == .notAShard && e.description.contains("major version 2"))
            }
            try Data("hello, not a shard at all; just some text".utf8).write(to: URL(fileURLWithPath: path))
            do { _ = try ShardReader(path: path); Issue.record("text accepted") } catch let e as StrataError {
                #expect(e.kind == .notAShard)
            }
            try Data().write(to: URL(fileURLWithPath: path))
            #expect(throws: StrataError.self) { try ShardReader(path: path) }
        }
    }
}
