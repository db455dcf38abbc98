import Foundation
import Strata
import StrataUtilities

@testable import StrataHDF5

/// Small Strata shards with random bit patterns (NaN payloads, infinities, subnormals included),
/// several blocks per record, multi-label, missing texts, metadata — the worst case for "no value
/// changes in any round trip".
struct StrataSample {
    struct Record {
        var input: RecordInput
        var values: [UInt16] // f16/bf16 bit patterns, or f32 as pairs of UInt16 (little-endian)
        var tokens: Int
    }
    var path: String
    var dtype: StrataDType
    var layers: Int
    var hidden: Int
    var records: [Record]

    static func write(
        dtype: StrataDType, in directory: URL, records count: Int = 6, layers: Int = 5, hidden: Int = 16,
        seed: UInt64 = 7, options: WriterOptions = WriterOptions(blockTargetBytes: 512, layersPerBlock: 2),
        compressible: Bool = false
    ) throws -> StrataSample {
        var generator = SplitMix64(state: seed &+ UInt64(dtype.byteWidth) &* 31 &+ UInt64(dtype.rawValue.count))
        let metadata = StrataMetadata(
            hidden: hidden, layers: LayerInfo.huggingFaceHiddenStates(blocks: layers - 1),
            dtype: dtype, labelNames: ["neg", "pos", "other"],
            extra: ["task": "round trip"])
        let path = directory.appendingPathComponent("sample-\(dtype.rawValue).strata").path
        let writer = try ShardWriter(path: path, metadata: metadata, options: options)
        var records: [Record] = []
        for index in 0..<count {
            // Record 3 has no tokens at all (no blocks): every layout must carry it through.
            let tokens = index == 3 ? 0 : 1 + Int(generator.next() % 13)
            let halfWords = layers * tokens * hidden * dtype.byteWidth / 2
            // Compressible: every 16-bit half keeps random low bits under a nearly constant high byte
            // (like the exponent plane of real states), so zstd shrinks the blocks and they are
            // stored as zstd frames rather than raw.
            let values = (0..<halfWords).map { _ in
                let bits = UInt16(truncatingIfNeeded: generator.next())
                return compressible ? (bits & 0x01FF) | 0x3C00 : bits
            }
            let labels: [Int] = index % 3 == 0 ? [1] : index % 3 == 1 ? [0, 2] : []
            let input = RecordInput(
                id: "rec-\(index)", labels: labels,
                tokenIDs: (0..<tokens).map { _ in Int32(generator.next() % 49152) },
                text: index % 2 == 0 ? "text \(index) ✓" : nil,
                metadata: index == 1 ? ["source": "unit"] : [:])
            try values.withUnsafeBufferPointer { bits in
                switch dtype {
                case .f32:
                    try UnsafeRawBufferPointer(bits).withMemoryRebound(to: Float.self) {
                        try writer.append(input, values: .f32($0))
                    }
                case .f16: try writer.append(input, values: .f16(bits))
                case .bf16, .q8: try writer.append(input, values: .bf16(bits))
                }
            }
            records.append(Record(input: input, values: values, tokens: tokens))
        }
        try writer.close()
        return StrataSample(path: path, dtype: dtype, layers: layers, hidden: hidden, records: records)
    }

    /// Stored value bytes of every record of the shard at `path`, concatenated (`ShardReader.readStored`).
    static func storedValues(_ path: String, layers: Int, hidden: Int, width: Int) throws -> [UInt8] {
        let reader = try ShardReader(path: path)
        var all: [UInt8] = []
        for index in 0..<reader.count {
            var buffer = [UInt8](repeating: 0, count: layers * (try reader.tokenCount(index)) * hidden * width)
            try buffer.withUnsafeMutableBytes { try reader.readStored(index, into: $0) }
            all += buffer
        }
        return all
    }

    var expectedValueBytes: [UInt8] {
        records.flatMap { record in record.values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] } }
    }
}
