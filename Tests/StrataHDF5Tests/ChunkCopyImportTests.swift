import CZstd
import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataHDF5

/// Import's direct path (spec/HDF5.md §5.1): HDF5 `[shuffle, zstd]` / `[zstd]` chunks that cover
/// exactly a Strata block are stored as that block without re-encoding; everything else is decoded
/// and encoded. Checked against the original shard's own blocks, h5py-written fixtures, and a
/// damaged chunk.
@Suite struct ChunkCopyImportTests {
    /// Strata → HDF5 (groups, zstd: blocks written as chunks) → Strata copies every chunk back and
    /// gives the original records: same fields, same values, and the same block payload bytes.
    @Test(arguments: StrataDType.lossless, [false, true])
    func groupsRoundTripCopiesTheBlocksBack(dtype: StrataDType, compressible: Bool) throws {
        try withTemporaryDirectoryURL("chunkcopy-\(dtype.rawValue)-\(compressible)") { directory in
            let sample = try StrataSample.write(dtype: dtype, in: directory, compressible: compressible)
            let h5 = directory.appendingPathComponent("groups.h5").path
            let fast = directory.appendingPathComponent("fast.strata").path
            let slow = directory.appendingPathComponent("slow.strata").path
            let exported = try HDF5Exporter.export(
                datasetAt: sample.path, to: h5,
                options: HDF5ExportOptions(compression: .zstd(level: 3), layout: .groups))
            #expect(exported.chunksCopied > 0 && exported.blocksRecompressed > 0, "the sample must mix whole and edge chunks")
            let report = try HDF5Importer.importFile(at: h5, to: fast)
            #expect(report.chunksCopied == exported.chunksCopied, "every chunk the export copied is copied back")
            var slowOptions = HDF5ImportOptions()
            slowOptions.copyChunks = false
            let slowReport = try HDF5Importer.importFile(at: h5, to: slow, options: slowOptions)
            #expect(slowReport.chunksCopied == 0)

            let originalReader = try ShardReader(path: sample.path), fastReader = try ShardReader(path: fast),
                slowReader = try ShardReader(path: slow)
            #expect(fastReader.count == sample.records.count && slowReader.count == sample.records.count)
            var compressedBlocks = 0
            for index in 0..<sample.records.count {
                let expected = try originalReader.info(index), got = try fastReader.info(index), decoded = try slowReader.info(index)
                #expect(
                    got.id == expected.id && got.labels == expected.labels && got.tokenIDs == expected.tokenIDs
                        && got.text == expected.text && got.metadata == expected.metadata, "record \(index)")
                #expect(decoded.id == expected.id && decoded.tokenIDs == expected.tokenIDs, "record \(index)")
                // Same tiling and the very same payload bytes (copied chunks and re-encoded edges alike).
                let before = try (0..<originalReader.blockCount(index)).map { try originalReader.storedBlock(index, block: $0) }
                let after = try (0..<fastReader.blockCount(index)).map { try fastReader.storedBlock(index, block: $0) }
                #expect(before.count == after.count, "record \(index)")
                for (a, b) in zip(before, after) {
                    #expect(
                        a.layerStart == b.layerStart && a.layerCount == b.layerCount && a.tokenStart == b.tokenStart
                            && a.tokenCount == b.tokenCount && a.codec == b.codec && a.shuffled == b.shuffled
                            && a.payload == b.payload, "record \(index) block at layer \(a.layerStart) token \(a.tokenStart)")
                    if a.codec == "zstd" { compressedBlocks += 1 }
                }
            }
            #expect(compressible ? compressedBlocks > 0 : compressedBlocks == 0, "sample kind: \(compressedBlocks) zstd blocks")
            let width = dtype.byteWidth
            #expect(
                try StrataSample.storedValues(fast, layers: sample.layers, hidden: sample.hidden, width: width) == sample.expectedValueBytes
            )
            #expect(
                try StrataSample.storedValues(slow, layers: sample.layers, hidden: sample.hidden, width: width) == sample.expectedValueBytes
            )
        }
    }

    /// Every h5py-written fixture imports through the importer (direct path on) with exactly the
    /// values h5py wrote; the fixture built for it copies exactly the whole chunks it has.
    @Test(.needsPython("h5py", "hdf5plugin", "numpy")) func importerKeepsEveryFixtureExact() throws {
        let set = try #require(try HDF5Fixtures.load())
        try withTemporaryDirectoryURL("chunkcopy-fixtures") { directory in
            var sawCopies = false
            for fixture in set.fixtures where fixture.error == nil {
                let out = directory.appendingPathComponent(fixture.name + ".strata").path
                let report = try HDF5Importer.importFile(
                    at: set.path(fixture.name), to: out, options: LayoutDetectionTests.options(fixture))
                if let expected = fixture.chunks_copied {
                    #expect(report.chunksCopied == expected, "\(fixture.name)")
                    sawCopies = true
                }
                let width = fixture.value_type == "f32" ? 4 : 2
                let values = try StrataSample.storedValues(out, layers: fixture.layers ?? 0, hidden: fixture.hidden ?? 0, width: width)
                #expect(
                    Data(values) == (try set.expected(fixture.name)),
                    "\(fixture.name): values differ (copied \(report.chunksCopied) chunks)")
            }
            #expect(sawCopies, "the fixture set must include a file whose chunks qualify")
        }
    }

    /// gzip chunks are never copied (decode + encode), and the values stay exact.
    @Test func gzipFallsBackToDecodeAndEncode() throws {
        try withTemporaryDirectoryURL("chunkcopy-gzip") { directory in
            let sample = try StrataSample.write(dtype: .bf16, in: directory, compressible: true)
            let h5 = directory.appendingPathComponent("gzip.h5").path
            let back = directory.appendingPathComponent("back.strata").path
            try HDF5Exporter.export(
                datasetAt: sample.path, to: h5, options: HDF5ExportOptions(compression: .gzip(level: 4), layout: .groups))
            let report = try HDF5Importer.importFile(at: h5, to: back)
            #expect(report.chunksCopied == 0 && report.recordsCopied == 0)
            #expect(
                try StrataSample.storedValues(back, layers: sample.layers, hidden: sample.hidden, width: 2) == sample.expectedValueBytes)
        }
    }

    /// A damaged zstd chunk — a byte zstd itself rejects, or a broken frame header — stops the
    /// import with an error naming the dataset, the chunk and the record; nothing is sealed.
    @Test(arguments: ["frame header", "compressed data"])
    func damagedChunkIsRefused(damage: String) throws {
        try withTemporaryDirectoryURL("chunkcopy-damage") { directory in
            let sample = try StrataSample.write(dtype: .bf16, in: directory, compressible: true)
            let h5 = directory.appendingPathComponent("groups.h5").path
            try HDF5Exporter.export(
                datasetAt: sample.path, to: h5, options: HDF5ExportOptions(compression: .zstd(level: 3), layout: .groups))
            // Record 0's first chunk: its bytes and where they lie in the file.
            let (address, original): (Int, [UInt8]) = try {
                let file = try HDF5File(openingAt: h5)
                let dataset = try file.root().openGroup("000000").openDataset("hidden")
                let chunk = try dataset.readChunk(at: [0, 0, 0])
                #expect(chunk.filterMask == 0, "the chunk must be a zstd frame")
                return (try dataset.chunkLocation(at: [0, 0, 0]).address, chunk.bytes)
            }()
            var damaged = original
            if damage == "frame header" {
                damaged[0] ^= 0xFF // zstd magic number
            } else {
                // The last byte (scanning backwards) whose change libzstd itself detects.
                let rawSize = sample.layers * sample.records[0].tokens * sample.hidden * 2
                var output = [UInt8](repeating: 0, count: rawSize)
                var position = damaged.count - 1
                while position > 8 {
                    damaged[position] ^= 0x5A
                    let n = ZSTD_decompress(&output, output.count, damaged, damaged.count)
                    if ZSTD_isError(n) != 0 || n != rawSize { break }
                    damaged[position] ^= 0x5A
                    position -= 1
                }
                try #require(position > 8, "no detectable damage position found")
            }
            let back = directory.appendingPathComponent("back.strata").path
            try Self.expectImportRefused(h5, to: back, afterWriting: damaged, at: address, mentioning: ["rec-0", "damaged"])
            // The decode + encode path refuses it too (HDF5's zstd filter fails).
            var slow = HDF5ImportOptions()
            slow.copyChunks = false
            #expect(throws: (any Error).self) { try HDF5Importer.importFile(at: h5, to: back, options: slow) }
        }
    }
    /// A groups export keeps the CRC32C of every chunk it copied (`strata_chunk_crc32c`), so import
    /// checks copied chunks against Strata's own checksums: a changed byte that no decode can notice —
    /// invisible to h5py too — stops the import.
    @Test func changedByteIsCaughtByTheExportChecksums() throws {
        try withTemporaryDirectoryURL("chunkcopy-crc") { directory in
            let sample = try StrataSample.write(dtype: .bf16, in: directory, compressible: false)
            let h5 = directory.appendingPathComponent("groups.h5").path
            let exported = try HDF5Exporter.export(
                datasetAt: sample.path, to: h5,
                options: HDF5ExportOptions(compression: .zstd(level: 3), layout: .groups))
            let (address, original, chunkFilterMask): (Int, [UInt8], UInt32) = try {
                let file = try HDF5File(openingAt: h5)
                var recorded = 0
                for index in 0..<sample.records.count {
                    let dataset = try file.root().openGroup(String(format: "%06d", index)).openDataset("hidden")
                    recorded += (try dataset.integerAttribute(HDF5ChunkChecksums.attributeName)?.count ?? 0) / 3
                }
                #expect(recorded == exported.chunksCopied, "one checksum per copied chunk")
                let dataset = try file.root().openGroup("000000").openDataset("hidden")
                let chunk = try dataset.readChunk(at: [0, 0, 0])
                #expect(try HDF5ChunkChecksums(dataset: dataset)?.checksum(origin: [0, 0, 0]) == CRC32C.checksum(chunk.bytes))
                return (try dataset.chunkLocation(at: [0, 0, 0]).address, chunk.bytes, UInt32(chunk.filterMask))
            }()
            // Incompressible values: the block is stored without zstd (filter mask 0b10), so nothing but a
            // checksum can notice a changed byte — a decode check has no frame to check.
            #expect(chunkFilterMask == 0b10)
            var damaged = original
            damaged[damaged.count / 2] ^= 0x01
            let back = directory.appendingPathComponent("back.strata").path
            try Self.expectImportRefused(h5, to: back, afterWriting: damaged, at: address, mentioning: ["checksum recorded"])
        }
    }

    /// Overwrites record 0's first chunk (at file offset `address`) with `bytes`, then expects the import
    /// to fail naming the dataset, the record and the chunk (plus `words`), with no sealed shard left.
    static func expectImportRefused(
        _ h5: String, to back: String, afterWriting bytes: [UInt8], at address: Int,
        mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: h5))
        try handle.seek(toOffset: UInt64(address))
        try handle.write(contentsOf: bytes)
        try handle.close()
        do {
            try HDF5Importer.importFile(at: h5, to: back)
            Issue.record("a damaged chunk was imported", sourceLocation: sourceLocation)
        } catch {
            let message = String(describing: error)
            let expected = ["/000000/hidden", "record 0", "[0, 0, 0]"] + words
            #expect(expected.allSatisfy { message.contains($0) }, "\(message)", sourceLocation: sourceLocation)
        }
        #expect(throws: (any Error).self, "no sealed shard may come out of it", sourceLocation: sourceLocation) {
            _ = try ShardReader(path: back)
        }
    }
}
