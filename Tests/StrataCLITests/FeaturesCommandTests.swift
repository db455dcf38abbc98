import Foundation
import Strata
import StrataTestSupport
import Testing

/// `strata features`: the exported arrays equal a plain recomputation from the stored records, and
/// a trained pooling probe's predictions are the sigmoid of w·feature + b on them.
enum FeaturesFiles {
    /// A little-endian float32 .npy file: its shape and values (C order).
    static func readNpy(_ path: String) throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"))
        let inner = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        let shape = inner.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let start = 10 + headerLength
        let count = (bytes.count - start) / 4
        let values = (0..<count).map { i -> Float in
            let o = start + 4 * i
            return Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        return (shape, values)
    }

    static func readJSON(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// The reference: each selected layer's tokens (optionally divided by their root mean square),
    /// pooled over tokens, then over layers (nil = kept per layer), in Double.
    static func reference(
        _ dataset: StrataDataset, record: Int, layers: [Int], rms: Bool, tokenMax: Bool, layerMax: Bool?
    ) throws -> [Double] {
        let d = dataset.metadata.hidden, n = try dataset.info(record).nTokens
        let all = try dataset.readFloat(record, layers: nil, tokens: nil) // [L_all, T, d]
        var perLayer: [[Double]] = []
        for l in layers {
            var pooled = [Double](repeating: tokenMax ? -.infinity : 0, count: d)
            for t in 0..<n {
                let row = (0..<d).map { Double(all[(l * n + t) * d + $0]) }
                let scale = rms ? 1 / (row.map { $0 * $0 }.reduce(0, +) / Double(d) + 1e-6).squareRoot() : 1
                for j in 0..<d { pooled[j] = tokenMax ? max(pooled[j], row[j] * scale) : pooled[j] + row[j] * scale / Double(n) }
            }
            perLayer.append(pooled)
        }
        guard let layerMax else { return perLayer.flatMap { $0 } }
        return (0..<d).map { j in layerMax ? perLayer.map { $0[j] }.max()! : perLayer.map { $0[j] }.reduce(0, +) / Double(layers.count) }
    }
}

@Test(arguments: [
    ([String](), [0, 1, 2, 3, 4], true, false, Optional(false)), // defaults: rms, mean, mean
    (["--pool", "max", "--layer-pool", "none", "--normalize", "none", "--layers", "1,3"], [1, 3], false, true, nil),
    (["--layer-pool", "max", "--layers", "last"], [4], true, false, Optional(true))
])
func exportedFeaturesEqualADirectComputation(_ flags: [String], _ layers: [Int], _ rms: Bool, _ tokenMax: Bool, _ layerMax: Bool?) throws {
    try withTemporaryDirectoryURL("features") { dir in
        let data = dir.appendingPathComponent("d.strata").path, out = dir.appendingPathComponent("f.npy").path
        try ProbeCLI.writeShard(data, count: 90, layers: 5, hidden: 16)
        let result = try CLIRunner.run(["features", "--data", data, "--out", out, "--memory-budget", "8MiB"] + flags)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("90/90 records"))

        let dataset = try StrataDataset(path: data)
        let (shape, values) = try FeaturesFiles.readNpy(out)
        let width = layerMax == nil ? layers.count * 16 : 16
        #expect(shape == (layerMax == nil ? [90, layers.count, 16] : [90, 16]))
        #expect(values.count == 90 * width)
        let sidecar = try FeaturesFiles.readJSON(dir.appendingPathComponent("f.json").path)
        #expect(sidecar["ids"] as? [String] == (0..<90).map { "doc-\($0)" })
        #expect(sidecar["labels"] as? [Int] == (0..<90).map { try! dataset.info($0).labels[0] })
        #expect(sidecar["layer_indices"] as? [Int] == layers)
        #expect(sidecar["shape"] as? [Int] == shape)
        var worst = 0.0
        for r in 0..<90 {
            let expected = try FeaturesFiles.reference(dataset, record: r, layers: layers, rms: rms, tokenMax: tokenMax, layerMax: layerMax)
            for j in 0..<width { worst = max(worst, abs(Double(values[r * width + j]) - expected[j]) / max(1, abs(expected[j]))) }
        }
        #expect(worst <= 2e-6, "largest relative difference \(worst)")
    }
}

/// The pooling probe's head reads exactly the exported features: its predicted probability for
/// every record is sigmoid(w·feature + b) with w, b read from the checkpoint file (spec/PROBES.md).
@Test func poolingProbePredictionsAreLinearInTheExportedFeatures() throws {
    try withTemporaryDirectoryURL("features-probe") { dir in
        let data = dir.appendingPathComponent("d.strata").path
        let ckpt = dir.appendingPathComponent("p.probe").path, preds = dir.appendingPathComponent("p.jsonl").path
        try ProbeCLI.writeShard(data, count: 80, layers: 5, hidden: 16)
        let train = try CLIRunner.run([
            "train", "--data", data, "--probe", "pooling", "--pool", "max", "--layers", "0,2,4", "--out", ckpt,
            "--epochs", "3", "--lr", "0.02", "--seed", "4", "--feature-cache", "off", "--quiet"
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let eval = try CLIRunner.run(["eval", "--probe", ckpt, "--data", data, "--predictions", preds])
        #expect(eval.status == 0, "\(eval.stderr)")
        let out = dir.appendingPathComponent("f.npy").path
        let export = try CLIRunner.run(["features", "--data", data, "--out", out, "--pool", "max", "--layers", "0,2,4", "--quiet"])
        #expect(export.status == 0, "\(export.stderr)")

        // Checkpoint: magic, u32 version, u32 JSON length, JSON, zero padding to 16, u64 count, f32 values, u32 CRC.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ckpt)))
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * $1) } }
        let jsonLength = Int(u32(12))
        let start = (16 + jsonLength + 15) / 16 * 16
        let count = (0..<8).reduce(0) { $0 | Int(bytes[start + $1]) << (8 * $1) }
        #expect(count == 17) // head only: 16 weights, 1 bias
        let params = (0..<count).map { Double(Float(bitPattern: u32(start + 8 + 4 * $0))) }

        let (shape, features) = try FeaturesFiles.readNpy(out)
        #expect(shape == [80, 16])
        let probabilities = try String(contentsOfFile: preds, encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["probability"] as! Double
        }
        #expect(probabilities.count == 80)
        var worst = 0.0, spread = (1.0, 0.0)
        for r in 0..<80 {
            let logit = params[16] + (0..<16).map { params[$0] * Double(features[r * 16 + $0]) }.reduce(0, +)
            let p = 1 / (1 + exp(-logit))
            worst = max(worst, abs(p - probabilities[r]))
            spread = (min(spread.0, p), max(spread.1, p))
        }
        #expect(worst <= 1e-5, "largest probability difference \(worst)")
        #expect(spread.1 - spread.0 > 0.1, "the trained probe should separate records (probabilities \(spread))")
    }
}

@Test func featuresRejectsBadInputNamingTheProblem() throws {
    try withTemporaryDirectoryURL("features-bad") { dir in
        let data = dir.appendingPathComponent("d.strata").path, out = dir.appendingPathComponent("f.npy").path
        try ProbeCLI.writeShard(data, count: 5, layers: 3, hidden: 8)
        let missing = try CLIRunner.run(["features", "--data", dir.appendingPathComponent("nope").path, "--out", out])
        #expect(missing.status != 0 && missing.stderr.contains("nope"), "\(missing.stderr)")
        let badLayers = try CLIRunner.run(["features", "--data", data, "--out", out, "--layers", "0,7"])
        #expect(badLayers.status != 0 && badLayers.stderr.contains("--layers") && badLayers.stderr.contains("7"), "\(badLayers.stderr)")
        let badPool = try CLIRunner.run(["features", "--data", data, "--out", out, "--layer-pool", "sum"])
        #expect(badPool.status != 0 && badPool.stderr.contains("--layer-pool"), "\(badPool.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "a failed export leaves no output file")
    }
}
