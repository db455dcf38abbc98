import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// Checks against the real SmolLM2-135M-Instruct Q4_1 file when it is in the model cache
/// (`strata fetch-model` puts it there); `.needsRealModel` says when they skip.
struct SmolLM2GGUFTests {
    static func modelPath() -> String? { ModelCache.existingPath(for: "smollm2") }

    @Test(.needsRealModel) func metadataAndTensorTypes() throws {
        let path = try #require(Self.modelPath())
        let file = try GGUFFile(path: path)
        #expect(file.version == 3)
        #expect(try file.requireArchitecture(["llama"]) == "llama")
        #expect(try file.requireInt("llama.block_count") == 30)
        #expect(try file.requireInt("llama.embedding_length") == 576)
        #expect(try file.requireInt("llama.attention.head_count") == 9)
        #expect(try file.requireInt("llama.attention.head_count_kv") == 3)
        #expect(try file.requireInt("llama.feed_forward_length") == 1536)
        #expect(try file.requireInt("llama.vocab_size") == 49152)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.array?.count == 49152)
        #expect(file.metadata["tokenizer.ggml.model"]?.string == "gpt2")
        #expect(file.tensors.count == 272)
        #expect(Set(file.tensors.map(\.type)) == [.q4_1, .q8_0, .f32])
        let embedding = try file.requireTensor("token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.shape == [576, 49152])
        let down = try file.requireTensor("blk.0.ffn_down.weight")
        #expect(down.type == .q4_1 && down.shape == [1536, 576])
        // Tensors are laid out in order, aligned, and within the file.
        for tensor in file.tensors {
            #expect(tensor.offset % file.alignment == 0 && tensor.offset + tensor.byteCount <= file.fileSize)
        }
    }

    /// Dequantised rows of token_embd (Q8_0) and blk.0.ffn_down (Q4_1) against gguf-py reading the same file.
    @Test(.needsRealModel, .needsPython("gguf", "numpy"))
    func dequantisedRowsMatchPython() throws {
        let path = try #require(Self.modelPath())
        let file = try GGUFFile(path: path)
        let samples: [(tensor: String, rows: [Int])] = [
            ("token_embd.weight", [0, 1, 2, 100, 12345, 49151]),
            ("blk.0.ffn_down.weight", [0, 17, 300, 575]),
            ("blk.29.attn_norm.weight", [0])
        ]
        let script = """
            import sys, json, numpy as np, gguf
            from gguf.quants import dequantize
            reader = gguf.GGUFReader(sys.argv[1])
            by_name = {t.name: t for t in reader.tensors}
            out = sys.stdout.buffer
            for spec in json.loads(sys.argv[2]):
                t = by_name[spec[0]]
                data = t.data if t.data.ndim > 1 else t.data.reshape(1, -1)
                rows = dequantize(np.ascontiguousarray(data[spec[1]]), t.tensor_type)
                out.write(np.asarray(rows, dtype='<f4').tobytes())
            """
        let spec = String(
            decoding: try JSONSerialization.data(withJSONObject: samples.map { [$0.tensor, $0.rows] as [Any] }), as: UTF8.self)
        let result = try Python.run(["-c", script, path, spec])
        try #require(result.status == 0, "python failed: \(result.stderr)")
        let reference: [Float] = result.stdout.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }

        var cursor = 0
        for sample in samples {
            let info = try file.requireTensor(sample.tensor)
            let all = try file.dequantize(info)
            #expect(all.count == info.elementCount)
            let rowLength = info.rowLength
            for row in sample.rows {
                try #require(cursor + rowLength <= reference.count, "python returned too few values")
                let ours = Array(all[row * rowLength..<(row + 1) * rowLength])
                let theirs = Array(reference[cursor..<cursor + rowLength])
                GGUFFixtures.expectBitEqual(ours, theirs, "\(sample.tensor) row \(row)")
                cursor += rowLength
            }
        }
        #expect(cursor == reference.count)
    }
}
