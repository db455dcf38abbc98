// swift-tools-version:6.0
// Strata — a Swift toolkit for LLM hidden-state datasets.
// Layout and dependency direction: see README.md ("Package layout").
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        .library(name: "StrataHDF5", targets: ["StrataHDF5"]),
        .library(name: "StrataModel", targets: ["StrataModel"]),
        .library(name: "StrataProbe", targets: ["StrataProbe"]),
        .library(name: "StrataCapture", targets: ["StrataCapture"]),
        .library(name: "StrataMPI", targets: ["StrataMPI"]),
        .library(name: "StrataServe", targets: ["StrataServe"]),
        .executable(name: "strata", targets: ["strata"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0")
    ],
    targets: [
        // C libraries from Debian packages (installed by tools/setup), found through pkg-config.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // What several modules share, written once: SplitMix64, half floats, FNV-1a, byte sizes (internal: not a product).
        .target(name: "StrataUtilities"),
        // The format: schema, block codec, shard writer/reader, datasets, streaming.
        .target(
            name: "Strata",
            dependencies: ["StrataUtilities", "CZstd", "CStrataKernels", .product(name: "SystemPackage", package: "swift-system")]),
        // CPU-specific kernels (SSE4.2 CRC-32C, F16C half conversion) with runtime detection.
        .target(name: "CStrataKernels"),
        // HDF5 import / export.
        .target(name: "StrataHDF5", dependencies: ["Strata", "StrataUtilities", "CHDF5", "CZstd"]),
        // Transformer runtime: GGUF, tokenizer, Llama-family forward pass, hidden-state taps.
        .target(name: "StrataModel", dependencies: ["StrataUtilities", "CBLAS", .product(name: "Crypto", package: "swift-crypto")]),
        // Tensors on BLAS, probes with backward passes, optimizer, trainer, metrics.
        .target(name: "StrataProbe", dependencies: ["Strata", "StrataUtilities", "CBLAS"]),
        // Data-parallel training over Open MPI, loaded at run time (dlopen), so that building and every
        // single-process command need no MPI installed (README: "Distributed training").
        .target(name: "StrataMPI", dependencies: ["StrataProbe"]),
        // Text dataset -> model -> Strata dataset.
        .target(name: "StrataCapture", dependencies: ["Strata", "StrataModel", "StrataProbe", "StrataUtilities"]),
        // Serving: probes on the serving pass (guard, classifiers) and the OpenAI-compatible HTTP server.
        .target(
            name: "StrataServe",
            dependencies: [
                "Strata", "StrataModel", "StrataProbe", "StrataCapture", "StrataUtilities",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio")
            ]),
        // The command-line tool.
        .executableTarget(
            name: "strata",
            dependencies: [
                "Strata", "StrataHDF5", "StrataModel", "StrataProbe", "StrataCapture", "StrataMPI", "StrataServe", "StrataUtilities",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),

        // What every test target shares: scoped temporary directories, the checks that say why a test skips, seeded values.
        .target(name: "StrataTestSupport", dependencies: ["StrataUtilities"], path: "Tests/StrataTestSupport"),
        .testTarget(name: "StrataUtilitiesTests", dependencies: ["StrataUtilities", "StrataTestSupport"]),
        .testTarget(name: "StrataTests", dependencies: ["Strata", "StrataTestSupport", "StrataUtilities"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "StrataHDF5Tests", dependencies: ["StrataHDF5", "Strata", "StrataTestSupport", "StrataUtilities"],
            exclude: ["hdf5_fixtures.py"]), // the h5py fixture generator the tests run
        .testTarget(
            name: "StrataModelTests", dependencies: ["StrataModel", "StrataTestSupport", "StrataUtilities"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "StrataProbeTests", dependencies: ["StrataProbe", "Strata", "StrataTestSupport", "StrataUtilities"],
            exclude: ["gen_probe_references.py"]), // writes ReferenceValues.swift
        .testTarget(
            name: "StrataCaptureTests",
            dependencies: ["StrataCapture", "StrataModel", "StrataProbe", "StrataTestSupport", "StrataUtilities"]),
        .testTarget(
            name: "StrataServeTests",
            dependencies: ["StrataServe", "StrataModel", "StrataProbe", "StrataCapture", "StrataTestSupport", "StrataUtilities"]),
        .testTarget(name: "StrataCLITests", dependencies: ["Strata", "StrataTestSupport"])
    ],
    swiftLanguageModes: [.v5]
)
