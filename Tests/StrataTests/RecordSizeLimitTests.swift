import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// A record's total size is bounded on its own (`StrataLimits.maxRecordValueBytes`), not only each of
/// its dimensions: a small file must not make a reader allocate what its header claims.
@Suite struct RecordSizeLimitTests {
    /// A zstd frame (RFC 8878) of `size` zero bytes built by hand from RLE blocks: 4 bytes per 128 KiB,
    /// so a 1 GiB block is a 32 KiB payload. No compressor has to hold the gigabyte.
    static func zeroFrame(size: Int) -> [UInt8] {
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0] // magic; single segment, 8-byte content size
        for shift in stride(from: 0, to: 64, by: 8) { frame.append(UInt8(truncatingIfNeeded: size >> shift)) }
        let maximum = 128 << 10
        var left = size
        while left > 0 {
            let count = min(left, maximum)
            left -= count
            let header = (left == 0 ? 1 : 0) | 1 << 1 | count << 3 // last flag, block type RLE, size
            frame += [UInt8(header & 0xFF), UInt8(header >> 8 & 0xFF), UInt8(header >> 16 & 0xFF), 0]
        }
        return frame
    }

    /// A sealed shard whose one record is 5 layers × 256 tokens × 2^20 hidden f32: every field within its
    /// own limit, each block a valid 1 GiB zstd frame of zeros, the record 5 GiB — over the 4 GiB limit.
    /// Written structure by structure, since the writer refuses such a record.
    static func oversizedShard(at path: String) throws {
        let layers = 5, tokens = 256, hidden = StrataLimits.maxHidden
        let metadata = StrataMetadata(hidden: hidden, layers: (0..<layers).map { LayerInfo(index: $0, kind: "block") }, dtype: .f32)
        let json = try ShardWriter.encodeMetadata(metadata)
        var bytes = FileHeader(metadataLength: json.count, metadataCRC: CRC32C.checksum(json)).encode() + json
        let payload = zeroFrame(size: tokens * hidden * 4)
        let id = "too-big"
        var refs: [BlockRef] = []
        for layer in 0..<layers {
            let header = BlockHeader(
                recordOrdinal: 0, idHash: recordIDHash(id), layerStart: layer, layerCount: 1, tokenStart: 0,
                tokenCount: tokens, hidden: hidden, dtype: .f32, codec: BlockHeader.codecZstd, shuffled: true,
                rawSize: tokens * hidden * 4, storedSize: payload.count, payloadCRC: CRC32C.checksum(payload))
            refs.append(
                BlockRef(
                    offset: bytes.count, layerStart: layer, layerCount: 1, tokenStart: 0, tokenCount: tokens,
                    storedSize: payload.count, rawSize: header.rawSize, payloadCRC: header.payloadCRC))
            bytes += header.encode() + payload
        }
        let entryOffset = bytes.count
        let entry = RecordEntry(
            ordinal: 0, id: id, labels: [], tokenIDs: [Int32](repeating: 1, count: tokens), text: nil,
            metadata: [:], auxiliary: [:], blocks: refs
        ).encode()
        bytes += entry
        let indexOffset = bytes.count
        bytes += ShardIndex(rows: [
            ShardIndex.Row(
                entryOffset: entryOffset, entryLength: entry.count,
                storedBytes: layers * payload.count, nTokens: tokens, blockCount: layers)
        ]).encode()
        bytes += Trailer(indexOffset: indexOffset, recordCount: 1).encode()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func zeroFrameIsARealZstdFrame() throws {
        let frame = Self.zeroFrame(size: 300_000)
        var decoded = [UInt8](repeating: 1, count: 300_000)
        try frame.withUnsafeBytes { source in
            try decoded.withUnsafeMutableBytes { try ZstdDecompressor().decompress(source, into: $0) }
        }
        #expect(decoded.allSatisfy { $0 == 0 })
    }

    @Test func readerRefusesARecordOverTheTotalLimitBeforeAllocatingIt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/big.strata"
            try Self.oversizedShard(at: path)
            let reader = try ShardReader(path: path) // the index alone is fine
            #expect(reader.count == 1)
            for read in [{ _ = try reader.info(0) }, { _ = try reader.readFloat(0) }, { _ = try StrataVerifier.verify(path: path) }] {
                do {
                    try read()
                    Issue.record("a 5 GiB record was read")
                } catch let error as StrataError {
                    #expect(error.kind == .corrupt)
                    #expect(error.description.contains(path) && error.description.contains("record 0"), "\(error)")
                    #expect(error.description.contains("5.00 GiB") && error.description.contains("over the limit of 4.00 GiB"), "\(error)")
                }
            }
            // Recovery keeps no such record either (the scan stops at it).
            #expect(try ShardRecovery.recover(path: path).recordsKept == 0)
        }
    }

    @Test func writerRefusesARecordOverTheTotalLimit() throws {
        try withTemporaryDirectory { dir in
            let metadata = StrataMetadata(
                hidden: StrataLimits.maxHidden, layers: (0..<5).map { LayerInfo(index: $0, kind: "block") }, dtype: .bf16)
            let writer = try ShardWriter(path: dir + "/w.strata", metadata: metadata)
            let record = RecordInput(id: "r", tokenIDs: [Int32](repeating: 0, count: 512)) // 5 × 512 × 2^20 × 2 bytes = 5 GiB
            let empty = [UInt16]()
            #expect {
                try empty.withUnsafeBufferPointer { try writer.append(record, values: .bf16($0)) }
            } throws: { error in
                "\(error)".contains("over the limit of 4.00 GiB per record")
            }
            #expect(StrataLimits.recordValueBytes(layers: 4, tokens: 512, hidden: 1 << 20, width: 2) == 4 << 30)
            #expect(StrataLimits.recordValueBytes(layers: 4096, tokens: 1 << 24, hidden: 1 << 20, width: 4) == nil)
            #expect(StrataLimits.recordValueBytes(layers: 4096, tokens: 0, hidden: 1 << 20, width: 4) == 0)
        }
    }
}
