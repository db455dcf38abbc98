import CZstd
import Foundation
import Strata

/// One stored block of a Strata record, as spec/FORMAT.md §5 defines it: its ranges, codec,
/// and payload bytes exactly as they lie in the shard (CRC-checked).
struct StrataStoredBlock {
    var layerStart: Int
    var layerCount: Int
    var tokenStart: Int
    var tokenCount: Int
    /// 0 = none, 1 = zstd.
    var codec: UInt8
    var shuffled: Bool
    var rawSize: Int
    var payload: [UInt8]
}

/// Reads the stored blocks of a sealed shard without decoding them, so that an exporter can copy
/// zstd frames straight into HDF5 chunks. Follows spec/FORMAT.md §5–7 (trailer → index →
/// record entry → block references → block headers) and checks every CRC on the way.
///
/// `ShardReader` decodes values to f32 only; this type exists because the export needs the
/// stored bytes (for direct chunk writes) and the stored dtype (for bit-exact f16/bf16).
final class StrataRawBlocks {
    let path: String
    private let descriptor: Int32
    private let fileSize: Int
    private var entryOffsets: [(offset: Int, length: Int)] = []

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw StrataHDF5Error.shard(path: path, record: nil, "cannot open the shard for reading: \(String(cString: strerror(errno)))")
        }
        let end = lseek(descriptor, 0, SEEK_END)
        guard end >= 0 else {
            close(descriptor)
            throw StrataHDF5Error.shard(path: path, record: nil, "cannot find the size of the shard")
        }
        fileSize = Int(end)
        do { try readIndex() } catch { close(descriptor); throw error }
    }

    deinit { close(descriptor) }

    var count: Int { entryOffsets.count }

    private func read(_ count: Int, at offset: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset + count <= fileSize else {
            throw StrataHDF5Error.shard(path: path, record: nil, "structure at offset \(offset) (\(count) bytes) runs past the end of the file")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            guard got > 0 else {
                throw StrataHDF5Error.shard(path: path, record: nil, "short read at offset \(offset + done)")
            }
            done += got
        }
        return bytes
    }

    private func readIndex() throws {
        let trailer = try read(32, at: fileSize - 32)
        guard Array(trailer[0..<8]) == Array("STRATEND".utf8), CRC32C.checksum(trailer[0..<28]) == trailer.u32(28) else {
            throw StrataHDF5Error.shard(path: path, record: nil, "no valid trailer (unsealed shard: run strata recover)")
        }
        let indexOffset = Int(trailer.u64(8))
        let header = try read(32, at: indexOffset)
        guard header.u32(0) == 0x5844_4953, CRC32C.checksum(header[0..<28]) == header.u32(28) else {
            throw StrataHDF5Error.shard(path: path, record: nil, "bad index header at offset \(indexOffset)")
        }
        let records = Int(header.u64(8))
        guard records <= (fileSize - indexOffset) / 32 else {
            throw StrataHDF5Error.shard(path: path, record: nil, "index claims \(records) records, more than the file can hold")
        }
        let body = try read(32 * records, at: indexOffset + 32)
        guard CRC32C.checksum(body) == header.u32(24) else {
            throw StrataHDF5Error.shard(path: path, record: nil, "index body CRC mismatch at offset \(indexOffset + 32)")
        }
        entryOffsets = (0..<records).map { (Int(body.u64($0 * 32)), Int(body.u64($0 * 32 + 8))) }
    }

    /// The stored blocks of record `index`, in the record's block order, payloads CRC-checked.
    func blocks(_ index: Int) throws -> [StrataStoredBlock] {
        let (offset, length) = entryOffsets[index]
        let entry = try read(length, at: offset)
        guard length >= 48, entry.u32(0) == 0x4345_5253, CRC32C.checksum(entry[0..<44]) == entry.u32(44) else {
            throw StrataHDF5Error.shard(path: path, record: index, "bad record entry header at offset \(offset)")
        }
        let bodyLength = Int(entry.u64(24))
        guard 48 + bodyLength == length, CRC32C.checksum(entry[48...]) == entry.u32(32) else {
            throw StrataHDF5Error.shard(path: path, record: index, "record entry body CRC mismatch at offset \(offset)")
        }
        let blockCount = Int(entry.u32(36))
        // The block references are the last 48 × block_count bytes of the body (§6).
        let referencesStart = length - 48 * blockCount
        guard referencesStart >= 52 else {
            throw StrataHDF5Error.shard(path: path, record: index, "record entry too short for \(blockCount) block references")
        }
        var blocks: [StrataStoredBlock] = []
        blocks.reserveCapacity(blockCount)
        for b in 0..<blockCount {
            let r = referencesStart + 48 * b
            let blockOffset = Int(entry.u64(r))
            let storedSize = Int(entry.u64(r + 24))
            let payloadCRC = entry.u32(r + 40)
            let bytes = try read(72, at: blockOffset)
            guard bytes.u32(0) == 0x4B4C_4253, CRC32C.checksum(bytes[0..<68]) == bytes.u32(68),
                  Int(bytes.u64(56)) == storedSize else {
                throw StrataHDF5Error.shard(path: path, record: index, "bad header of block \(b) at offset \(blockOffset)")
            }
            let payload = try read(storedSize, at: blockOffset + 72)
            guard CRC32C.checksum(payload) == payloadCRC, bytes.u32(64) == payloadCRC else {
                throw StrataHDF5Error.shard(path: path, record: index, "payload CRC mismatch in block \(b) at offset \(blockOffset)")
            }
            blocks.append(StrataStoredBlock(
                layerStart: Int(bytes.u32(24)), layerCount: Int(bytes.u32(28)), tokenStart: Int(bytes.u32(32)),
                tokenCount: Int(bytes.u32(36)), codec: bytes[45], shuffled: bytes[46] == 1, rawSize: Int(bytes.u64(48)),
                payload: payload))
        }
        return blocks
    }

    /// Decodes every block of record `index` into `buffer` (grown as needed) as layer-major
    /// [layers][tokens][hidden] stored-dtype bytes; returns the number of blocks decoded.
    @discardableResult
    func values(_ index: Int, layers: Int, tokens: Int, hidden: Int, width: Int, into buffer: inout [UInt8]) throws -> Int {
        let needed = layers * tokens * hidden * width
        if buffer.count < needed { buffer = [UInt8](repeating: 0, count: needed) }
        let row = hidden * width
        let blocks = try self.blocks(index)
        for block in blocks {
            guard block.layerStart + block.layerCount <= layers, block.tokenStart + block.tokenCount <= tokens,
                  block.rawSize == block.layerCount * block.tokenCount * row else {
                throw StrataHDF5Error.shard(path: path, record: index, "block at layers \(block.layerStart)+\(block.layerCount) tokens \(block.tokenStart)+\(block.tokenCount) does not fit the record (\(layers) layers, \(tokens) tokens)")
            }
            let decoded = try Self.decode(block, width: width, path: path, record: index)
            decoded.withUnsafeBytes { source in
                buffer.withUnsafeMutableBytes { destination in
                    for l in 0..<block.layerCount {
                        for t in 0..<block.tokenCount {
                            let from = (l * block.tokenCount + t) * row
                            let to = ((block.layerStart + l) * tokens + block.tokenStart + t) * row
                            destination.baseAddress!.advanced(by: to)
                                .copyMemory(from: source.baseAddress!.advanced(by: from), byteCount: row)
                        }
                    }
                }
            }
        }
        return blocks.count
    }

    /// Decodes a block to its stored element bytes in raw layer-major order (unshuffled,
    /// decompressed): the exact bit patterns of the stored dtype.
    static func decode(_ block: StrataStoredBlock, width: Int, path: String, record: Int) throws -> [UInt8] {
        var planes: [UInt8]
        switch block.codec {
        case 0:
            planes = block.payload
        case 1:
            planes = [UInt8](repeating: 0, count: block.rawSize)
            let produced = planes.withUnsafeMutableBytes { out in
                block.payload.withUnsafeBytes { ZSTD_decompress(out.baseAddress, out.count, $0.baseAddress, $0.count) }
            }
            guard ZSTD_isError(produced) == 0, produced == block.rawSize else {
                throw StrataHDF5Error.shard(path: path, record: record, "zstd frame of block at layers \(block.layerStart)+\(block.layerCount) tokens \(block.tokenStart)+\(block.tokenCount) does not decode to \(block.rawSize) bytes")
            }
        default:
            throw StrataHDF5Error.shard(path: path, record: record, "unknown block codec \(block.codec)")
        }
        guard planes.count == block.rawSize else {
            throw StrataHDF5Error.shard(path: path, record: record, "block holds \(planes.count) bytes, expected \(block.rawSize)")
        }
        guard block.shuffled else { return planes }
        return ByteShuffling.unshuffle(planes, width: width)
    }
}

/// HDF5's shuffle filter and Strata's block shuffle are the same transform: byte k of element i
/// goes to k × n + i (spec/FORMAT.md §5; HDF5 H5Zshuffle). Export only needs the inverse.
enum ByteShuffling {
    static func unshuffle(_ planes: [UInt8], width: Int) -> [UInt8] {
        let n = planes.count / width
        var out = [UInt8](repeating: 0, count: planes.count)
        planes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { raw in
                guard let s = src.baseAddress, let d = raw.baseAddress else { return }
                switch width {
                case 2:
                    let p0 = s, p1 = s + n
                    let dst = d.bindMemory(to: UInt16.self, capacity: n)
                    for i in 0..<n { dst[i] = UInt16(p0[i]) | UInt16(p1[i]) << 8 }
                case 4:
                    let p0 = s, p1 = s + n, p2 = s + 2 * n, p3 = s + 3 * n
                    let dst = d.bindMemory(to: UInt32.self, capacity: n)
                    for i in 0..<n {
                        dst[i] = UInt32(p0[i]) | UInt32(p1[i]) << 8 | UInt32(p2[i]) << 16 | UInt32(p3[i]) << 24
                    }
                default:
                    let dst = d.bindMemory(to: UInt8.self, capacity: planes.count)
                    for i in 0..<n { for k in 0..<width { dst[i * width + k] = s[k * n + i] } }
                }
            }
        }
        return out
    }
}

private extension Array where Element == UInt8 {
    func u32(_ at: Int) -> UInt32 {
        UInt32(self[at]) | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2]) << 16 | UInt32(self[at + 3]) << 24
    }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
