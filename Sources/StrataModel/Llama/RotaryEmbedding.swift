import Foundation

/// Rotary position embedding (RoPE) for GGUF-ordered query/key heads.
///
/// The GGUF converter permutes the rows of every query and key head relative to Hugging Face: HF row `i`
/// becomes GGUF row `2i` and HF row `i + D/2` becomes GGUF row `2i + 1` (D = rotated dimensions). HF's
/// `rotate_half` pairs `(i, i + D/2)`, so on GGUF weights the same rotation pairs adjacent rows `(2i, 2i + 1)`
/// with frequency `i` — llama.cpp's "normal" RoPE. Scores `q·k` are unchanged by the shared permutation, so
/// the hidden states equal Hugging Face's exactly (checked by the golden tests).
struct RotaryEmbedding {
    /// Angular frequency of pair `i`, after scaling, `[ropeDimension / 2]`.
    let inverseFrequencies: [Double]

    init(config: LlamaConfig, frequencyFactors: [Float]?) {
        let pairs = config.ropeDimension / 2
        var frequencies = (0..<pairs).map { i in
            1.0 / pow(config.ropeFrequencyBase, Double(2 * i) / Double(config.ropeDimension))
        }
        switch config.ropeScaling {
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
    func tables(positions: Int) -> (cos: FloatBuffer, sin: FloatBuffer) {
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
        return (cosines, sines)
    }
}
