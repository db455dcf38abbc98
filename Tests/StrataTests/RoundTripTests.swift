import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// What the reader must return for values handed to the writer as f32 and stored as `dtype`
/// (reference conversions: Swift's Float16 for f16, the independent Double-based rounding for bf16).
func expectedStored(_ values: [Float], _ dtype: StrataDType) -> [Float] {
    switch dtype {
    case .f32: return values
    case .f16: return values.map { Float(Float16($0)) }
    case .bf16: return values.map { Float(bitPattern: UInt32(referenceBF16($0)) << 16) }
    case .q8: preconditionFailure("q8 is lossy: Q8Tests check its reconstructions against the error bound")
    }
}

/// Writes one shard of records with the given shapes and returns the path and expected values. Record i's
/// id is "<idPrefix>-i-ünï©ødé-🙂" (shards of one dataset need distinct prefixes: ids are unique in a dataset).
func writeShard(
    dir: String, name: String = "a.strata", layers: Int, hidden: Int, dtype: StrataDType, tokenCounts: [Int],
    options: WriterOptions = .init(), input: StrataDType = .f32, seed: UInt64 = 1,
    idPrefix: String = "rec"
) throws -> (String, [RecordInput], [[Float]]) {
    let path = dir + "/" + name
    let meta = testMetadata(layers: layers, hidden: hidden, dtype: dtype, aux: [AuxiliaryInfo(name: "logprobs", length: 3)])
    let writer = try ShardWriter(path: path, metadata: meta, options: options)
    var inputs: [RecordInput] = []
    var expected: [[Float]] = []
    for (i, t) in tokenCounts.enumerated() {
        let values = randomValues(layers * t * hidden, seed: seed &+ UInt64(i), hidden: hidden)
        let record = RecordInput(
            id: "\(idPrefix)-\(i)-ünï©ødé-🙂", labels: [i % 2, 7], tokenIDs: (0..<t).map { Int32($0 * 31 + i) },
            text: i % 3 == 0 ? nil : "text \(i) — 日本語 🚀\n\"quoted\"", metadata: ["source": "test", "ключ": "значение \(i)"],
            auxiliary: ["logprobs": [Float(i), -1.5, .infinity]])
        switch input {
        case .q8:
            preconditionFailure("q8 is a stored dtype, not a writer input")
        case .f32:
            try values.withUnsafeBufferPointer { try writer.append(record, values: .f32($0)) }
            expected.append(expectedStored(values, dtype))
        case .bf16:
            let bits = values.map { referenceBF16($0) }
            try bits.withUnsafeBufferPointer { try writer.append(record, values: .bf16($0)) }
            let asF32 = bits.map { Float(bitPattern: UInt32($0) << 16) }
            expected.append(expectedStored(asF32, dtype))
        case .f16:
            let bits = values.map { Float16($0).bitPattern }
            try bits.withUnsafeBufferPointer { try writer.append(record, values: .f16($0)) }
            let asF32 = bits.map { Float(Float16(bitPattern: $0)) }
            expected.append(expectedStored(asF32, dtype))
        }
        inputs.append(record)
    }
    #expect(writer.recordCount == tokenCounts.count)
    try writer.close()
    return (path, inputs, expected)
}

/// Selects layers × token range out of a layer-major L × T × H array.
func slice(_ v: [Float], layers: Int, tokens: Int, hidden: Int, select: [Int], range: Range<Int>) -> [Float] {
    var out: [Float] = []
    for l in select {
        for t in range { out.append(contentsOf: v[((l * tokens + t) * hidden)..<((l * tokens + t + 1) * hidden)]) }
    }
    return out
}

func bitsEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

@Suite struct RoundTripTests {
    @Test(arguments: StrataDType.lossless, StrataDType.lossless)
    func everyInputAndStoredDType(stored: StrataDType, input: StrataDType) throws {
        try withTemporaryDirectory { dir in
            let (path, inputs, expected) = try writeShard(
                dir: dir, layers: 4, hidden: 24, dtype: stored, tokenCounts: [1, 5, 37],
                options: WriterOptions(zstdLevel: 1, blockTargetBytes: 1024), input: input)
            let reader = try ShardReader(path: path)
            #expect(reader.count == 3)
            #expect(reader.metadata.dtype == stored)
            #expect(reader.metadata.codec?.level == 1)
            for i in 0..<3 {
                #expect(bitsEqual(try reader.readFloat(i), expected[i]), "record \(i) stored \(stored) input \(input)")
                let info = try reader.info(i)
                #expect(info.id == inputs[i].id)
                #expect(info.labels == inputs[i].labels)
                #expect(info.tokenIDs == inputs[i].tokenIDs)
                #expect(info.text == inputs[i].text)
                #expect(info.metadata == inputs[i].metadata)
                #expect(info.nTokens == inputs[i].tokenIDs.count)
                #expect(info.rawBytes == 4 * inputs[i].tokenIDs.count * 24 * stored.byteWidth)
                #expect(try reader.auxiliary(i, name: "logprobs") == [Float(i), -1.5, .infinity])
            }
        }
    }

    @Test func edgeShapesOneTokenOneLayerManyBlocksLongRecord() throws {
        try withTemporaryDirectory { dir in
            // 1 layer, 1 token.
            let (p1, _, e1) = try writeShard(dir: dir, name: "one.strata", layers: 1, hidden: 1, dtype: .bf16, tokenCounts: [1, 1])
            let r1 = try ShardReader(path: p1)
            #expect(bitsEqual(try r1.readFloat(1), e1[1]))
            // A long record spanning many blocks (tiny block target forces token splitting).
            let (p2, _, e2) = try writeShard(
                dir: dir, name: "long.strata", layers: 3, hidden: 64, dtype: .f16, tokenCounts: [2000, 3],
                options: WriterOptions(zstdLevel: 3, blockTargetBytes: 4096))
            let r2 = try ShardReader(path: p2)
            #expect(try r2.info(0).blockCount == 3 * 63) // 32 tokens × 64 × 2 bytes = 4096 per block
            #expect(bitsEqual(try r2.readFloat(0), e2[0]))
            #expect(bitsEqual(try r2.readFloat(1), e2[1]))
            // Token range crossing block boundaries, layers out of order and repeated.
            let want = slice(e2[0], layers: 3, tokens: 2000, hidden: 64, select: [2, 0, 2], range: 17..<1333)
            #expect(bitsEqual(try r2.readFloat(0, layers: [2, 0, 2], tokens: 17..<1333), want))
        }
    }

    @Test func emptyTokenRecordAndEmptyShard() throws {
        try withTemporaryDirectory { dir in
            let (p, _, _) = try writeShard(dir: dir, layers: 2, hidden: 8, dtype: .f32, tokenCounts: [0, 2])
            let r = try ShardReader(path: p)
            #expect(try r.readFloat(0).isEmpty)
            #expect(try r.info(0).blockCount == 0)
            let (p2, _, _) = try writeShard(dir: dir, name: "empty.strata", layers: 2, hidden: 8, dtype: .f32, tokenCounts: [])
            #expect(try ShardReader(path: p2).count == 0)
        }
    }

    @Test func layerSubsetReadsDecodeOnlyOverlappingBlocks() throws {
        try withTemporaryDirectory { dir in
            // 8 layers, 1 layer per block, 100 tokens split in blocks of ~25 tokens: 8 × 4 blocks.
            let h = 32
            let (p, _, e) = try writeShard(
                dir: dir, layers: 8, hidden: h, dtype: .bf16, tokenCounts: [100],
                options: WriterOptions(zstdLevel: 1, blockTargetBytes: 25 * h * 2, layersPerBlock: 1))
            let r = try ShardReader(path: p)
            #expect(try r.info(0).blockCount == 32)
            let before = r.blocksDecoded
            let one = try r.readFloat(0, layers: [5])
            #expect(r.blocksDecoded - before == 4)
            #expect(bitsEqual(one, slice(e[0], layers: 8, tokens: 100, hidden: h, select: [5], range: 0..<100)))
            let mid = r.blocksDecoded
            let part = try r.readFloat(0, layers: [1, 6], tokens: 30..<45)
            #expect(r.blocksDecoded - mid == 2) // tokens 30..<45 lie in the second token block of each layer
            #expect(bitsEqual(part, slice(e[0], layers: 8, tokens: 100, hidden: h, select: [1, 6], range: 30..<45)))
            let all = r.blocksDecoded
            _ = try r.readFloat(0)
            #expect(r.blocksDecoded - all == 32)
        }
    }

    @Test func layerGroupingOption() throws {
        try withTemporaryDirectory { dir in
            let (p, _, e) = try writeShard(
                dir: dir, layers: 7, hidden: 16, dtype: .f32, tokenCounts: [10],
                options: WriterOptions(zstdLevel: 1, blockTargetBytes: 1 << 20, layersPerBlock: 3))
            let r = try ShardReader(path: p)
            #expect(try r.info(0).blockCount == 3) // layers 0-2, 3-5, 6
            let before = r.blocksDecoded
            #expect(
                bitsEqual(try r.readFloat(0, layers: [4, 5]), slice(e[0], layers: 7, tokens: 10, hidden: 16, select: [4, 5], range: 0..<10))
            )
            #expect(r.blocksDecoded - before == 1)
        }
    }

    @Test func parallelAndSerialDecodeAgreeAndReaderIsThreadSafe() throws {
        try withTemporaryDirectory { dir in
            let (p, _, e) = try writeShard(
                dir: dir, layers: 6, hidden: 48, dtype: .bf16, tokenCounts: [300, 200, 100],
                options: WriterOptions(zstdLevel: 1, blockTargetBytes: 8192))
            let r = try ShardReader(path: p)
            r.parallelThresholdBytes = 0
            let parallel = try r.readFloat(0)
            r.parallelThresholdBytes = .max
            #expect(bitsEqual(parallel, e[0]))
            #expect(bitsEqual(try r.readFloat(0), e[0]))
            let ok = FailureCollector()
            DispatchQueue.concurrentPerform(iterations: 12) { k in
                do {
                    if !bitsEqual(try r.readFloat(k % 3), e[k % 3]) { ok.record(k, StrataError(.corrupt, "mismatch")) }
                } catch { ok.record(k, error) }
            }
            #expect(ok.first == nil)
        }
    }

    @Test func parallelCompressionWritesTheSameBytesAsOneThread() throws {
        try withTemporaryDirectory { dir in
            var files: [[UInt8]] = []
            for threads in [1, 2, 3] {
                let (p, _, e) = try writeShard(
                    dir: dir, name: "t\(threads).strata", layers: 5, hidden: 64, dtype: .bf16, tokenCounts: [700, 3, 400],
                    options: WriterOptions(zstdLevel: 1, blockTargetBytes: 16384, compressionThreads: threads))
                files.append([UInt8](FileManager.default.contents(atPath: p)!))
                let r = try ShardReader(path: p)
                let first = try r.readFloat(0), last = try r.readFloat(2)
                #expect(bitsEqual(first, e[0]) && bitsEqual(last, e[2]))
            }
            #expect(files[0] == files[1] && files[0] == files[2])
        }
    }

    @Test func storedBlocksAreSingleZstdFramesOfShuffledValues() throws {
        try withTemporaryDirectory { dir in
            let (p, _, e) = try writeShard(
                dir: dir, layers: 3, hidden: 32, dtype: .bf16, tokenCounts: [40],
                options: WriterOptions(zstdLevel: 1, blockTargetBytes: 1024, layersPerBlock: 1))
            let r = try ShardReader(path: p)
            #expect(try r.blockCount(0) == 3 * 3)
            for b in 0..<(try r.blockCount(0)) {
                let block = try r.storedBlock(0, block: b)
                // Decode independently: plain zstd + un-shuffle + bf16 widening, compare with the expected slice.
                let d = try ZstdDecompressor()
                var raw = [UInt8](repeating: 0, count: block.rawSize)
                if block.codec == "zstd" {
                    try block.payload.withUnsafeBytes { src in try raw.withUnsafeMutableBytes { try d.decompress(src, into: $0) } }
                } else {
                    raw = block.payload
                }
                let n = block.rawSize / 2
                let values = (0..<n).map { Float(bitPattern: UInt32(raw[$0]) << 16 | UInt32(raw[n + $0]) << 24) }
                let want = slice(
                    e[0], layers: 3, tokens: 40, hidden: 32, select: [block.layerStart],
                    range: block.tokenStart..<(block.tokenStart + block.tokenCount))
                #expect(bitsEqual(values, want))
            }
            #expect(throws: StrataError.self) { try r.storedBlock(0, block: 9) }
        }
    }

    @Test func datasetDirectoryWithManifest() throws {
        try withTemporaryDirectory { dir in
            let (_, in1, e1) = try writeShard(dir: dir, name: "s0.strata", layers: 2, hidden: 8, dtype: .f16, tokenCounts: [3, 4], seed: 10)
            let (_, in2, e2) = try writeShard(
                dir: dir, name: "s1.strata", layers: 2, hidden: 8, dtype: .f16, tokenCounts: [5], seed: 20,
                idPrefix: "second")
            let manifest = try DatasetManifest.build(directory: dir, shardPaths: ["s0.strata", "s1.strata"])
            try manifest.write(directory: dir)
            let ds = try StrataDataset(path: dir)
            #expect(ds.count == 3)
            #expect(ds.locate(0) == (0, 0) && ds.locate(1) == (0, 1) && ds.locate(2) == (1, 0))
            #expect(bitsEqual(try ds.readFloat(2), e2[0]))
            #expect(bitsEqual(try ds.readFloat(1, layers: [1]), slice(e1[1], layers: 2, tokens: 4, hidden: 8, select: [1], range: 0..<4)))
            #expect(try ds.info(2).id == in2[0].id)
            #expect(try ds.info(0).id == in1[0].id)
            var seen: [String] = []
            try ds.forEachRecord { g, info in
                #expect(g == seen.count)
                seen.append(info.id)
            }
            #expect(seen == (in1 + in2).map(\.id))
            #expect(throws: StrataError.self) { try ds.readFloat(3) }
            // A single shard is a dataset too.
            let single = try StrataDataset(path: dir + "/s1.strata")
            #expect(single.count == 1)
            // The manifest's CRC is the CRC32C of the whole file.
            let bytes = [UInt8](FileManager.default.contents(atPath: dir + "/s0.strata")!)
            #expect(manifest.shards[0].crc32c == String(format: "%08x", CRC32C.checksum(bytes)))
            #expect(manifest.shards[0].bytes == bytes.count)
            // A manifest pointing outside its directory is refused.
            var hostile = manifest
            hostile.shards[0].path = "../s0.strata"
            try hostile.write(directory: dir)
            #expect(throws: StrataError.self) { try StrataDataset(path: dir) }
        }
    }

    @Test func writerRejectsBadInputWithoutDamagingTheShard() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/w.strata"
            let meta = testMetadata(layers: 2, hidden: 4, dtype: .bf16, aux: [AuxiliaryInfo(name: "a", length: 2)])
            let w = try ShardWriter(path: path, metadata: meta)
            let good = [Float](repeating: 1.5, count: 2 * 3 * 4)
            let rec = RecordInput(id: "x", tokenIDs: [1, 2, 3], auxiliary: ["a": [1, 2]])
            try good.withUnsafeBufferPointer { try w.append(rec, values: .f32($0)) }
            // Wrong element count, duplicate id, missing / wrong-length auxiliary.
            #expect(throws: StrataError.self) {
                try good.withUnsafeBufferPointer {
                    try w.append(RecordInput(id: "y", tokenIDs: [1, 2], auxiliary: ["a": [1, 2]]), values: .f32($0))
                }
            }
            #expect(throws: StrataError.self) { try good.withUnsafeBufferPointer { try w.append(rec, values: .f32($0)) } }
            #expect(throws: StrataError.self) {
                try good.withUnsafeBufferPointer { try w.append(RecordInput(id: "z", tokenIDs: [1, 2, 3]), values: .f32($0)) }
            }
            #expect(throws: StrataError.self) {
                try good.withUnsafeBufferPointer {
                    try w.append(RecordInput(id: "z", tokenIDs: [1, 2, 3], auxiliary: ["a": [1]]), values: .f32($0))
                }
            }
            try w.close()
            let r = try ShardReader(path: path)
            #expect(r.count == 1)
            #expect(try r.readFloat(0) == good)
            #expect(throws: StrataError.self) {
                try ShardWriter(path: dir + "/bad.strata", metadata: testMetadata(layers: 1, hidden: 0, dtype: .f32))
            }
        }
    }

    @Test func metadataJSONRoundTripsAndToleratesUnknownKeys() throws {
        var meta = testMetadata(layers: 3, hidden: 5, dtype: .bf16)
        meta.tokenizer = TokenizerIdentity(kind: "gpt2", pre: "smollm", vocabSize: 49152, sha256: "ab")
        let json = try ShardWriter.encodeMetadata(meta)
        var object = try JSONSerialization.jsonObject(with: Data(json)) as! [String: Any]
        #expect(object["layer_semantics"] as? String == "hf_output_hidden_states")
        object["some_future_key"] = ["x": 1]
        let patched = try JSONSerialization.data(withJSONObject: object)
        let decoded = try JSONDecoder().decode(StrataMetadata.self, from: patched)
        #expect(decoded == meta)
    }
}
