import ArgumentParser
import Foundation
import StrataModel

/// `strata gguf-info --model M.gguf [--json]` — summarises a GGUF file, including whether Strata will run it
/// (architecture, config, tensor types, tokenizer) and why not.
struct GGUFInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gguf-info",
        abstract:
            "Show a GGUF file's version, architecture, whether Strata runs it (and why not), tokenizer support, metadata and tensor types.",
        discussion: """
            The 'runs' line says whether capture, classify, generate and serve can load the file: its architecture \
            must be one of \(LlamaConfig.supportedArchitectures.joined(separator: ", ")) (dense, no experts), its \
            metadata must describe a valid model, every tensor type must be one Strata dequantises, and its tokenizer \
            must be supported. Each problem is listed. Missing or misshapen tensors are only found by loading.
            """)

    @OptionGroup var modelOption: ModelOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "List every tensor (name, type, shape).")
    var tensors = false

    @Flag(help: "Also dequantise every tensor and report the speed per type (stored GB/s and output Gfloat/s).")
    var bench = false

    func run() throws {
        let path = modelOption.path
        let file = try GGUFFile(path: path)
        var byType: [GGMLType: (count: Int, bytes: Int, elements: Int)] = [:]
        for t in file.tensors {
            let old = byType[t.type] ?? (0, 0, 0)
            byType[t.type] = (old.count + 1, old.bytes + t.byteCount, old.elements + t.elementCount)
        }
        let types = byType.keys.sorted {
            byType[$0]!.count > byType[$1]!.count || (byType[$0]!.count == byType[$1]!.count && $0.rawValue < $1.rawValue)
        }
        let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }

        let speeds = bench ? try benchmark(file) : []
        let tokenizer = TokenizerSupport(file)
        let problems = ModelSupport.problems(of: file)

        if json {
            var object: [String: Any] = [
                "path": path, "version": file.version, "file_size": file.fileSize, "alignment": file.alignment,
                "architecture": file.architecture as Any? ?? NSNull(), "tensor_count": file.tensors.count,
                "parameters": parameters, "tokenizer": tokenizer.json,
                "runs": ["supported": problems.isEmpty, "problems": problems] as [String: Any],
                "metadata": Dictionary(uniqueKeysWithValues: file.metadataKeys.map { ($0, jsonValue(file.metadata[$0]!)) }),
                "tensor_types": Dictionary(
                    uniqueKeysWithValues: types.map { type in
                        (type.name, ["count": byType[type]!.count, "bytes": byType[type]!.bytes, "elements": byType[type]!.elements])
                    })
            ]
            if bench {
                object["dequantize_speed"] = speeds.map {
                    ["type": $0.type.name, "bytes": $0.bytes, "elements": $0.elements, "seconds": $0.seconds] as [String: Any]
                }
            }
            if tensors {
                object["tensors"] = file.tensors.map {
                    ["name": $0.name, "type": $0.type.name, "shape": $0.shape, "offset": $0.offset, "bytes": $0.byteCount] as [String: Any]
                }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }

        print("file:          \(path) (\(file.fileSize) bytes)")
        print("GGUF version:  \(file.version)")
        print("architecture:  \(file.architecture ?? "(none)")")
        print("runs:          \(problems.isEmpty ? "yes" : "no")")
        for problem in problems { print("  - \(problem)") }
        print("tokenizer:     \(tokenizer.line)")
        print("tensors:       \(file.tensors.count), \(parameters) parameters")
        for type in types {
            let s = byType[type]!
            print(
                "  \(type.name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(String(s.count).leftPadded(5)) tensors, \(String(s.bytes).leftPadded(11)) bytes"
            )
        }
        print("metadata (\(file.metadataKeys.count) keys):")
        let width = min(48, file.metadataKeys.map(\.count).max() ?? 0)
        for key in file.metadataKeys {
            print("  \(key.padding(toLength: max(width, key.count), withPad: " ", startingAt: 0))  \(file.metadata[key]!.summary())")
        }
        if bench {
            print("dequantisation speed (best of 3 passes, \(ProcessInfo.processInfo.activeProcessorCount) cores):")
            for s in speeds {
                let gb = Double(s.bytes) / s.seconds / 1e9, gf = Double(s.elements) / s.seconds / 1e9
                print(
                    "  \(s.type.name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(String(format: "%7.2f", gb)) GB/s stored, \(String(format: "%6.2f", gf)) Gfloat/s out"
                )
            }
        }
        if tensors {
            print("tensor directory:")
            for t in file.tensors { print("  \(t.name)  \(t.type.name)  \(t.shape)") }
        }
    }

    /// Dequantises every tensor of each supported type three times (pages touched once first) and
    /// keeps the best time per type.
    private func benchmark(_ file: GGUFFile) throws -> [(type: GGMLType, bytes: Int, elements: Int, seconds: Double)] {
        var results: [(type: GGMLType, bytes: Int, elements: Int, seconds: Double)] = []
        let groups = Dictionary(grouping: file.tensors.filter { $0.type.canDequantize }, by: \.type)
        for (type, group) in groups.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let largest = group.map(\.elementCount).max() ?? 0
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest)
            defer { buffer.deallocate() }
            for t in group { try file.dequantize(t, into: buffer) } // warm the page cache and the buffer
            var best = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                for t in group { try file.dequantize(t, into: buffer) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            results.append((type, group.reduce(0) { $0 + $1.byteCount }, group.reduce(0) { $0 + $1.elementCount }, best))
        }
        return results
    }

    /// Metadata as JSON: scalars as values, arrays up to 64 elements in full, longer ones summarised.
    private func jsonValue(_ value: GGUFValue) -> Any {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b
        case .float32(let f): return f.isFinite ? (Double("\(f)") ?? Double(f)) as Any : "\(f)"
        case .float64(let d): return d.isFinite ? d as Any : "\(d)"
        case .uint64(let u): return NSNumber(value: u)
        case .array(let elements) where elements.count > 64:
            return [
                "type": "array", "element_type": elements.first?.typeName ?? "empty", "count": elements.count,
                "first": elements.prefix(8).map(jsonValue)
            ] as [String: Any]
        case .array(let elements): return elements.map(jsonValue)
        default: return value.int ?? 0
        }
    }
}

/// Whether Strata can build the tokenizer a GGUF file describes, and if not, why.
private struct TokenizerSupport {
    let model: String?
    let pre: String?
    let result: Result<Tokenizer, Error>

    init(_ file: GGUFFile) {
        model = file.metadata["tokenizer.ggml.model"]?.string
        pre = file.metadata["tokenizer.ggml.pre"]?.string
        result = Result { try Tokenizer(gguf: file) }
    }

    /// e.g. "gpt2, pre smollm: supported (byte-level BPE, 49152 tokens)".
    var line: String {
        var name = model ?? "(no tokenizer.ggml.model)"
        if let pre, model == BPETokenizer.model { name += ", pre \(pre)" }
        switch result {
        case .success(let tokenizer):
            return "\(name): supported (\(tokenizer.kindName), \(tokenizer.vocabularySize) tokens)"
        case .failure(let error):
            return "\(name): not supported: \(error)"
        }
    }

    var json: [String: Any] {
        var object: [String: Any] = ["model": model as Any? ?? NSNull(), "pre": pre as Any? ?? NSNull()]
        switch result {
        case .success(let tokenizer):
            object["supported"] = true
            object["kind"] = tokenizer.kindName
            object["vocab_size"] = tokenizer.vocabularySize
        case .failure(let error):
            object["supported"] = false
            object["problem"] = "\(error)"
        }
        return object
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
