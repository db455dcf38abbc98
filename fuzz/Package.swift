// swift-tools-version:6.0
// Strata's fuzz targets: a separate package so that the main package, its `swift build` and
// `swift test` never see the fuzzer flags. Build and run with `fuzz/run` (see fuzz/README.md).
import Foundation
import PackageDescription

// A path dependency's package identity is its directory's name (`main`, `wt-fuzz`, ...), not the
// manifest's name, so it is read from where this checkout sits.
let strata = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: strata) })
}

let package = Package(
    name: "StrataFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        // The declaration of libFuzzer's driver entry.
        .target(name: "CLibFuzzer"),
        // libFuzzer driver, per-process scratch files, the repository's fixtures.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        // Shard reader: open, every record read, verify, recovery scan and recovery.
        fuzzTarget("FuzzShard", ["Strata"]),
        // Dataset manifest: parse, open the dataset it describes, verify it.
        fuzzTarget("FuzzManifest", ["Strata"]),
        // GGUF parser: header, metadata, tensor directory, dequantisation, config and tokenizer from metadata.
        fuzzTarget("FuzzGGUF", ["StrataModel"]),
        // Byte-level BPE tokenizer: encode arbitrary text, decode it back.
        fuzzTarget("FuzzTokenizer", ["StrataModel"]),
        // Capture input reader: JSON lines and CSV.
        fuzzTarget("FuzzTextRecords", ["StrataCapture"])
    ],
    swiftLanguageModes: [.v5]
)
