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

/// The stored blocks of a sealed shard, not decoded, so that an exporter can copy zstd frames
/// straight into HDF5 chunks. Read through `ShardReader.storedBlock`, so every block is checked
/// exactly as the library's reader checks it (spec/FORMAT.md §5–§9: CRCs, header against the record
/// entry, reserved fields, the zstd frame's header).
///
/// `ShardReader` decodes values to f32 only; this type exists because the export needs the
/// stored bytes (for direct chunk writes) and the stored dtype (for bit-exact f16/bf16).
final class StrataRawBlocks {
    let path: String
    private let reader: ShardReader

    /// The blocks of a shard already open.
    init(reader: ShardReader) {
        self.reader = reader
        path = reader.path
    }

    convenience init(path: String) throws {
        self.init(reader: try ShardReader(path: path))
    }

    var count: Int { reader.count }

    /// The stored blocks of record `index`, in the record's block order, payloads CRC-checked.
    func blocks(_ index: Int) throws -> [StrataStoredBlock] {
        try (0..<reader.blockCount(index)).map { b in
            let block = try reader.storedBlock(index, block: b)
            return StrataStoredBlock(layerStart: block.layerStart, layerCount: block.layerCount, tokenStart: block.tokenStart,
                                     tokenCount: block.tokenCount, codec: block.codec == "zstd" ? 1 : 0, shuffled: block.shuffled,
                                     rawSize: block.rawSize, payload: block.payload)
        }
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
