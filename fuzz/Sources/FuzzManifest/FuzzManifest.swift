import Foundation
import FuzzSupport
import Strata

// Input: the bytes of manifest.json. It is written into a dataset directory that already holds the
// spec's shard vectors (the two shards of spec/vectors/dataset, the single-shard vectors, an unsealed
// one), a subdirectory, a symbolic link to a shard inside and one to a valid shard outside; then the
// manifest is parsed, the dataset it describes is opened and read, and verified.

private let scratch = ScratchDirectory("manifest")
private let datasetDirectory = makeDatasetDirectory()
private let datasetRealPath = URL(fileURLWithPath: datasetDirectory).resolvingSymlinksInPath().path

@_cdecl("FuzzManifest_main")
func fuzzManifestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, LLVMFuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let directory = datasetDirectory
    let manifestPath = scratch.write(fuzzInputBytes(data, size), to: "dataset/" + DatasetManifest.fileName)

    _ = try? DatasetManifest.read(path: manifestPath)
    if let dataset = try? StrataDataset(path: directory) {
        checkContainment(dataset)
        for index in 0..<min(dataset.count, 16) {
            _ = try? dataset.info(index)
            _ = try? dataset.readFloat(index)
        }
    }
    _ = try? StrataVerifier.verify(path: directory)
    return 0
}

/// The manifest is untrusted (ShardPathPolicy): a dataset that opens must read only shards inside
/// its directory, never the valid shard that `outside` links to.
private func checkContainment(_ dataset: StrataDataset) {
    for shard in dataset.shards {
        let real = URL(fileURLWithPath: shard.path).resolvingSymlinksInPath().path
        guard real.hasPrefix(datasetRealPath + "/") else {
            fatalError("the dataset opened a shard outside its directory: \(shard.path) -> \(real)")
        }
    }
}

private func makeDatasetDirectory() -> String {
    let directory = (scratch.path as NSString).appendingPathComponent("dataset")
    let outside = (scratch.path as NSString).appendingPathComponent("outside.strata")
    let files = FileManager.default
    do {
        try files.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        let vectors = Repository.path("spec/vectors")
        for name in ["shard-00000.strata", "shard-00001.strata"] {
            try files.copyItem(atPath: vectors + "/dataset/" + name, toPath: directory + "/" + name)
        }
        for name in try files.contentsOfDirectory(atPath: vectors) where name.hasSuffix(".strata") {
            try files.copyItem(atPath: vectors + "/" + name, toPath: directory + "/" + name)
        }
        try files.copyItem(atPath: vectors + "/dataset/shard-00001.strata", toPath: directory + "/sub/shard.strata")
        try files.copyItem(atPath: vectors + "/dataset/shard-00000.strata", toPath: outside)
        try files.createSymbolicLink(atPath: directory + "/inside", withDestinationPath: "shard-00000.strata")
        try files.createSymbolicLink(atPath: directory + "/outside", withDestinationPath: outside)
        try files.createSymbolicLink(atPath: directory + "/up", withDestinationPath: "..")
    } catch {
        fatalError("fuzz harness: cannot build the dataset directory from \(Repository.path("spec/vectors")): \(error)")
    }
    return directory
}
