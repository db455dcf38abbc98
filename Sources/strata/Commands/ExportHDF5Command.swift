import ArgumentParser
import Foundation
import StrataHDF5

/// `strata export-hdf5 IN OUT.h5`: a Strata shard or dataset as an HDF5 file (spec/HDF5.md).
struct ExportHDF5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-hdf5",
        abstract: "Write a Strata shard or dataset as an HDF5 file that h5py (+ hdf5plugin for zstd) reads.",
        discussion: """
            Layouts (spec/HDF5.md): layer-major (default) and token-major write one token-concatenated \
            array /hidden_states plus /offsets; groups writes one group per record whose chunks are the \
            Strata blocks, copied without recompression when --compression zstd. Values keep their \
            stored dtype bit for bit (bf16 as uint16 with attribute strata_dtype="bf16"). A dataset \
            directory's shards must match their manifest entries, whole-file CRC32C included \
            (spec/FORMAT.md §11), before anything is written.
            """)

    @Argument(help: "A Strata shard file or dataset directory.")
    var input: String

    @Argument(help: "The HDF5 file to write (an existing one is replaced only once the export is complete).")
    var output: String

    @Option(name: .long, help: "zstd (filter 32015, needs hdf5plugin in Python), gzip (every HDF5 reads it) or none.")
    var compression: HDF5CompressionChoice = .zstd

    @Option(name: .long, help: "Compression level (zstd default 3, gzip default 4).")
    var level: Int?

    @Option(name: .long, help: "Dataset layout in the HDF5 file.")
    var layout: HDF5ExportLayout = .layerMajor

    func run() throws {
        var options = HDF5ExportOptions()
        switch compression {
        case .zstd: options.compression = .zstd(level: level ?? 3)
        case .gzip: options.compression = .gzip(level: level ?? 4)
        case .none: options.compression = .none
        }
        options.layout = layout
        let started = Date()
        let report = try HDF5Exporter.export(datasetAt: input, to: output, options: options)
        let seconds = Date().timeIntervalSince(started)
        for partial in report.removedStalePartials { print("removed \(partial), left by a killed export") }
        print(
            "exported \(report.records) records (\(report.tokens) tokens) to \(output): \(report.bytesWritten) bytes, "
                + "\(report.chunksCopied) blocks copied as chunks, \(report.blocksRecompressed) blocks recompressed, "
                + String(format: "%.2f s", seconds))
    }
}
