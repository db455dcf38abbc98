import Foundation

/// Rotary position embedding (RoPE): the angle of every rotated pair at every position.
///
/// Which two values of a head form a pair is the architecture's `DecoderArchitecture.RotaryPairing`. For
/// `llama` files the converter permutes the rows of every query and key head relative to Hugging Face: HF row
/// `i` becomes GGUF row `2i` and HF row `i + D/2` becomes GGUF row `2i + 1` (D = rotated dimensions). HF's
/// `rotate_half` pairs `(i, i + D/2)`, so on those weights the same rotation pairs adjacent rows `(2i, 2i + 1)`
/// with frequency `i` — llama.cpp's "normal" RoPE. Scores `q·k` are unchanged by the shared permutation, so
/// the hidden states equal Hugging Face's. The other architectures keep HF's row order and pair `(i, i + D/2)`
/// ("NeoX" RoPE). Only the first D dimensions of a head rotate (D < head dimension: partial rotary).
struct RotaryEmbedding {
    /// Angular frequency of pair `i`, after scaling, `[ropeDimension / 2]`.
    let inverseFrequencies: [Double]

    /// The global RoPE of `config` (base, scaling and per-frequency factors).
    init(config: LlamaConfig, frequencyFactors: [Float]?) {
        self.init(
            base: config.ropeFrequencyBase, dimension: config.ropeDimension, scaling: config.ropeScaling,
            frequencyFactors: frequencyFactors)
    }

    init(base: Double, dimension: Int, scaling: RopeScaling, frequencyFactors: [Float]?) {
        let pairs = dimension / 2
        var frequencies = (0..<pairs).map { i in
            1.0 / pow(base, Double(2 * i) / Double(dimension))
        }
        switch scaling {
        case .none:
            break
        case .linear(let factor):
            frequencies = frequencies.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            // Hugging Face `_compute_llama3_parameters`.
            let lowWavelength = Double(original) / low
            let highWavelength = Double(original) / high
            frequencies = frequencies.map { frequency in
                let wavelength = 2 * Double.pi / frequency
                if wavelength < highWavelength { return frequency }
                if wavelength > lowWavelength { return frequency / factor }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return (1 - smooth) * frequency / factor + smooth * frequency
            }
        }
        if let factors = frequencyFactors {
            frequencies = zip(frequencies, factors).map { $0 / Double($1) }
        }
        inverseFrequencies = frequencies
    }

    /// `cos` and `sin` of `position · frequency` for positions `0..<positions`, each `[positions × pairs]`.
    func tables(positions: Int) -> RotaryTables {
        let pairs = inverseFrequencies.count
        let cosines = FloatBuffer(count: positions * pairs)
        let sines = FloatBuffer(count: positions * pairs)
        for position in 0..<positions {
            for pair in 0..<pairs {
                let angle = Double(position) * inverseFrequencies[pair]
                cosines.pointer[position * pairs + pair] = Float(cos(angle))
                sines.pointer[position * pairs + pair] = Float(sin(angle))
            }
        }
        return RotaryTables(cosines: cosines, sines: sines)
    }
}

/// The RoPEs of a model's blocks: the global one, and for architectures with a local base (Gemma 3) a
/// second, plain one for the sliding-window blocks.
struct BlockRotaries {
    let embeddings: [RotaryEmbedding]
    /// Per block, its index into `embeddings`.
    let embeddingOfBlock: [Int]

    init(config: LlamaConfig, frequencyFactors: [Float]?) {
        var embeddings = [RotaryEmbedding(config: config, frequencyFactors: frequencyFactors)]
        if let local = config.localRopeFrequencyBase {
            embeddings.append(
                RotaryEmbedding(
                    base: local, dimension: config.ropeDimension, scaling: .none,
                    frequencyFactors: nil))
        }
        self.embeddings = embeddings
        embeddingOfBlock = (0..<config.blockCount).map { config.usesLocalRope(layer: $0) ? 1 : 0 }
    }

    /// The tables of every embedding for positions `0..<positions`, indexed like `embeddings`.
    func tables(positions: Int) -> [RotaryTables] {
        embeddings.map { $0.tables(positions: positions) }
    }
}

/// `cos` and `sin` tables, `[positions × pairs]` each.
struct RotaryTables {
    let cosines: FloatBuffer
    let sines: FloatBuffer
}
