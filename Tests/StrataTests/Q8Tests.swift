import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// The q8 dtype (spec/FORMAT.md §5.1): reconstructions within the stated error bound, outlier
/// channels exact, the recorded error distribution, failures naming the vector, and the format
/// version rule (a 1.0 reader refuses q8).
@Suite struct Q8Tests {
    static let hidden = 64, layers = 3

    static func q8Metadata(bound: Double = 0.01) -> StrataMetadata {
        var meta = testMetadata(layers: layers, hidden: hidden, dtype: .q8)
        meta.quantization = QuantizationInfo(scheme: "q8", maxRelError: bound, maxOutliers: Q8Layout.maxOutliers)
        return meta
    }

    /// Values with heavy tails and a massive channel, as bf16 (so outliers must come back exactly).
    static func values(tokens: Int, seed: UInt64) -> [UInt16] {
        randomValues(layers * tokens * hidden, seed: seed, hidden: hidden).map { referenceBF16($0) }
    }

    @Test(arguments: [0.01, 0.003])
    func reconstructionsStayWithinTheBoundAndOutliersAreExact(bound: Double) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/q8.strata"
            let writer = try ShardWriter(
                path: path, metadata: Self.q8Metadata(bound: bound), options: WriterOptions(blockTargetBytes: 2048))
            var inputs: [[Float]] = []
            for (i, t) in [1, 9, 40].enumerated() {
                let bits = Self.values(tokens: t, seed: UInt64(10 + i))
                try bits.withUnsafeBufferPointer {
                    try writer.append(RecordInput(id: "r\(i)", tokenIDs: Array(repeating: 1, count: t)), values: .bf16($0))
                }
                inputs.append(bits.map { StrataConvert.bf16ToF32($0) })
            }
            let summary = try #require(writer.quantizationErrors)
            try writer.close()
            let reader = try ShardReader(path: path)
            #expect(reader.version.minor == 1 && reader.metadata.dtype == .q8)
            var all: [Double] = []
            for (i, x) in inputs.enumerated() {
                let y = try reader.readFloat(i)
                let errors = relativeL2Errors(x, y, hidden: Self.hidden)
                #expect(errors.allSatisfy { $0 <= bound * (1 + 1e-6) }, "record \(i): max error \(errors.max()!)")
                all += errors
                // The massive channel (3) of every vector is kept exactly: it is the largest by far.
                for v in 0..<(x.count / Self.hidden) { #expect(y[v * Self.hidden + 3] == x[v * Self.hidden + 3]) }
                // A one-layer, token-range read returns the same reconstruction.
                let t = reader.metadata.layers.count
                _ = t
                let tokens = try reader.tokenCount(i)
                let part = try reader.readFloat(i, layers: [2], tokens: (tokens / 2)..<tokens)
                #expect(
                    part == slice(y, layers: Self.layers, tokens: tokens, hidden: Self.hidden, select: [2], range: (tokens / 2)..<tokens))
            }
            // The writer's figures agree with the errors measured here from what the reader returns.
            #expect(summary.vectors == all.count)
            #expect(abs(summary.mean - all.reduce(0, +) / Double(all.count)) <= 1e-6 * max(summary.mean, 1e-9) + 1e-9)
            #expect(abs(summary.max - all.max()!) <= 1e-6 * summary.max)
            let sorted = all.sorted()
            let p50 = sorted[Int((0.5 * Double(all.count)).rounded(.up)) - 1],
                p99 = sorted[Int((0.99 * Double(all.count)).rounded(.up)) - 1]
            #expect(summary.p50 >= p50 * (1 - 1e-6) && summary.p50 <= p50 * 1.011 + 1e-12)
            #expect(summary.p99 >= p99 * (1 - 1e-6) && summary.p99 <= p99 * 1.011 + 1e-12)
        }
    }

    @Test func aVectorOverTheBoundFailsNamingItAndKeepsEarlierRecords() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/q8.strata"
            let writer = try ShardWriter(path: path, metadata: Self.q8Metadata(bound: 0.01))
            let good = Self.values(tokens: 4, seed: 1)
            try good.withUnsafeBufferPointer { try writer.append(RecordInput(id: "good", tokenIDs: [1, 2, 3, 4]), values: .bf16($0)) }
            // Uniform values: int8 cannot reach 1e-5, and 64 outliers of 64 channels... with hidden 64 every
            // channel may be an outlier, so use a bound below bf16's own rounding for a vector of 1/3s.
            var bad = Array(repeating: Float(0.5), count: Self.layers * 2 * Self.hidden)
            bad[Self.hidden * 3 + 5] = .nan // layer 1, token 1 (2 tokens per layer), channel 5
            let failure = #expect(throws: StrataError.self) {
                try bad.withUnsafeBufferPointer { try writer.append(RecordInput(id: "bad", tokenIDs: [1, 2]), values: .f32($0)) }
            }
            #expect(failure?.record == 1 && failure?.recordID == "bad")
            #expect(failure?.message.contains("layer position 1, token 1") == true && failure?.message.contains("channel 5") == true)
            try writer.close()
            let reader = try ShardReader(path: path)
            #expect(reader.count == 1)
            #expect(try reader.info(0).id == "good")
        }
    }

    @Test func anUnreachableBoundFailsRatherThanBeingExceeded() throws {
        try withTemporaryDirectory { dir in
            var meta = Self.q8Metadata(bound: 1e-7)
            meta.hidden = 256
            let writer = try ShardWriter(path: dir + "/q8.strata", metadata: meta)
            // Gaussian-like f32 values: bf16 outliers alone already err by ~1e-3 relative, so no k reaches 1e-7.
            let x = randomValues(Self.layers * 256, seed: 5)
            let failure = #expect(throws: StrataError.self) {
                try x.withUnsafeBufferPointer { try writer.append(RecordInput(id: "r", tokenIDs: [7]), values: .f32($0)) }
            }
            #expect(failure?.message.contains("layer position 0, token 0") == true)
            #expect(failure?.message.contains("--max-rel-error") == true)
        }
    }

    @Test func aReaderOfFormat10RefusesQ8WithAClearMessage() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/q8.strata"
            let writer = try ShardWriter(path: path, metadata: Self.q8Metadata())
            let v = Self.values(tokens: 2, seed: 3)
            try v.withUnsafeBufferPointer { try writer.append(RecordInput(id: "r", tokenIDs: [1, 2]), values: .bf16($0)) }
            try writer.close()
            let file = try FileDescriptor.openForReading(path)
            let size = try file.size()
            let failure = #expect(throws: StrataError.self) { _ = try ShardReader.readHeader(file, fileSize: size, readerMinorVersion: 0) }
            #expect(failure?.kind == .notAShard)
            #expect(failure?.message.contains("\"q8\" (format 1.1)") == true && failure?.message.contains("format 1.0") == true)
            // The same reader still reads a bf16 shard this build writes (its header says 1.0).
            let (bf16Path, _, _) = try writeShard(dir: dir, name: "b.strata", layers: 2, hidden: 8, dtype: .bf16, tokenCounts: [2])
            let bf16File = try FileDescriptor.openForReading(bf16Path)
            let (header, _) = try ShardReader.readHeader(bf16File, fileSize: try bf16File.size(), readerMinorVersion: 0)
            #expect(header.minor == 0)
        }
    }

    @Test func q8UnderAHeaderThatSays10IsCorrupt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/q8.strata"
            let writer = try ShardWriter(path: path, metadata: Self.q8Metadata())
            try writer.close()
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[10] = 0
            let crc = CRC32C.checksum(bytes[0..<28])
            for b in 0..<4 { bytes[28 + b] = UInt8(truncatingIfNeeded: crc >> (8 * b)) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let failure = #expect(throws: StrataError.self) { _ = try ShardReader(path: path) }
            #expect(failure?.kind == .corrupt && failure?.message.contains("needs format 1.1") == true)
        }
    }

    @Test func layoutFollowsFromRawSize() {
        #expect(Q8Layout(rawSize: 10 * (64 + 4 + 4 * 5), vectors: 10, hidden: 64)?.outliers == 5)
        #expect(Q8Layout(rawSize: 10 * (64 + 4 + 2), vectors: 10, hidden: 64) == nil)
        #expect(Q8Layout(rawSize: 10 * (64 + 4 + 4 * 65), vectors: 10, hidden: 64) == nil)
        #expect(StrataDType(code: 3) == .q8)
    }
}
