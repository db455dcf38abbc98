import ArgumentParser
import Foundation
import Strata
import StrataCapture
import StrataModel
import StrataProbe

/// `strata inspect PATH [--json] [--records N]`: summary of a shard or dataset.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize a Strata shard or dataset (records, tokens, shape, dtype, sizes, metadata).",
        discussion: """
            raw_bytes counts values at the dtype's width (2 bytes for q8, i.e. against raw bf16). For a lossy dtype (q8) \
            --json adds "lossy": true and "quantization": the error bound and the relative L2 error figures each shard's \
            writer recorded (rel_error_per_shard; rel_error combines them: mean and max exact, p50/p99 the largest shard's, \
            an upper bound; null where a writer did not record them).
            """)

    @Argument(help: "A shard file or a dataset directory (with manifest.json).")
    var path: String

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Option(name: .long, help: "Also list the first N records (id, labels, tokens, bytes).")
    var records: Int = 0

    func run() throws {
        let dataset = try StrataDataset(path: path)
        let meta = dataset.metadata
        var tokens = 0, stored = 0
        for shard in dataset.shards {
            for i in 0..<shard.count {
                tokens += try shard.tokenCount(i)
                stored += try shard.storedBytes(i)
            }
        }
        let raw = tokens * meta.layers.count * meta.hidden * meta.dtype.byteWidth
        let fileBytes = dataset.shards.reduce(0) { $0 + $1.fileSize }
        var listed: [[String: Any]] = []
        for g in 0..<min(max(0, records), dataset.count) {
            let info = try dataset.info(g)
            var row: [String: Any] = [
                "index": g, "id": info.id, "labels": info.labels, "tokens": info.nTokens,
                "raw_bytes": info.rawBytes, "stored_bytes": info.storedBytes, "blocks": info.blockCount
            ]
            if let text = info.text { row["text"] = text }
            listed.append(row)
        }
        if json {
            var object: [String: Any] = [
                "path": path, "kind": dataset.manifest == nil ? "shard" : "dataset", "shards": dataset.shards.count,
                "records": dataset.count, "tokens": tokens, "layers": meta.layers.count,
                "layer_indices": meta.layers.map(\.index), "layer_kinds": meta.layers.map(\.kind),
                "layer_semantics": meta.layerSemantics, "hidden": meta.hidden, "dtype": meta.dtype.rawValue,
                "raw_bytes": raw, "stored_bytes": stored, "file_bytes": fileBytes,
                "compression_ratio": stored > 0 ? Double(raw) / Double(stored) : 0,
                "format_version": "\(dataset.shards.first?.version.major ?? 1).\(dataset.shards.first?.version.minor ?? 0)",
                "tool_version": meta.toolVersion, "extra": meta.extra
            ]
            if let c = meta.codec {
                object["codec"] = [
                    "name": c.name, "level": c.level, "shuffle": c.shuffle, "block_target_bytes": c.blockTargetBytes,
                    "layers_per_block": c.layersPerBlock as Any? ?? NSNull()
                ]
            }
            if let m = meta.model {
                object["model"] = [
                    "name": m.name, "architecture": m.architecture, "n_blocks": m.nBlocks, "hidden_size": m.hiddenSize,
                    "file_sha256": m.fileSHA256 as Any? ?? NSNull()
                ]
            }
            object["lossy"] = meta.dtype.isLossy
            if let q = meta.quantization {
                func figures(_ e: QuantizationErrorSummary?) -> Any {
                    guard let e else { return NSNull() }
                    return ["vectors": e.vectors, "mean": e.mean, "p50": e.p50, "p99": e.p99, "max": e.max]
                }
                let perShard = dataset.shards.map(\.metadata.quantization?.relError)
                object["quantization"] = [
                    "scheme": q.scheme, "max_rel_error": q.maxRelError, "max_outliers": q.maxOutliers,
                    "rel_error": figures(QuantizationErrorSummary.combined(perShard)),
                    "rel_error_per_shard": perShard.map(figures)
                ]
            }
            if let names = meta.labelNames { object["label_names"] = names }
            if !meta.auxiliary.isEmpty {
                object["auxiliary"] = meta.auxiliary.map { ["name": $0.name, "length": $0.length as Any? ?? NSNull()] }
            }
            if records > 0 { object["record_list"] = listed }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(dataset.manifest == nil ? "shard" : "dataset"): \(path)")
        print("  shards: \(dataset.shards.count)   records: \(dataset.count)   tokens: \(tokens)")
        print(
            "  layers: \(meta.layers.count) (indices \(meta.layers.map(\.index)), \(meta.layerSemantics))   hidden: \(meta.hidden)   dtype: \(meta.dtype.rawValue)"
        )
        if let c = meta.codec {
            print(
                "  codec: \(c.name) level \(c.level), shuffle \(c.shuffle), block target \(c.blockTargetBytes) B, layers/block \(c.layersPerBlock.map(String.init) ?? "auto")"
            )
        }
        let ratio = stored > 0 ? String(format: "%.3f", Double(raw) / Double(stored)) : "-"
        print("  raw: \(raw) B   stored: \(stored) B   file: \(fileBytes) B   ratio: \(ratio)×")
        if let m = meta.model { print("  model: \(m.name) (\(m.architecture), \(m.nBlocks) blocks, hidden \(m.hiddenSize))") }
        if let t = meta.tokenizer { print("  tokenizer: \(t.kind)\(t.pre.map { " / " + $0 } ?? ""), vocab \(t.vocabSize)") }
        if let q = meta.quantization {
            var line = "  lossy: \(q.scheme), every vector's relative L2 error ≤ \(q.maxRelError)"
            if let e = QuantizationErrorSummary.combined(dataset.shards.map(\.metadata.quantization?.relError)) {
                line += String(
                    format: "; measured mean %.4g, p50 %.4g, p99 %.4g, max %.4g over %d vectors", e.mean, e.p50, e.p99, e.max, e.vectors)
            }
            print(line)
        }
        if let names = meta.labelNames { print("  labels: \(names.joined(separator: ", "))") }
        if !meta.auxiliary.isEmpty { print("  auxiliary: \(meta.auxiliary.map(\.name).joined(separator: ", "))") }
        if let format = PromptFormat(metadataExtra: meta.extra) { print("  texts: \(format)") }
        print("  tool version: \(meta.toolVersion)")
        for row in listed {
            print(
                "  [\(row["index"]!)] id=\(row["id"]!) labels=\(row["labels"]!) tokens=\(row["tokens"]!) stored=\(row["stored_bytes"]!) B blocks=\(row["blocks"]!)"
            )
        }
    }
}
