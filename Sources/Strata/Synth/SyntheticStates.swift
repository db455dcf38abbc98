import StrataUtilities

/// Seeded synthetic hidden states that resemble a real residual stream, for tests, benchmarks and
/// `strata synth`: layer 0 is a fixed function of the token id (an embedding table), each later layer
/// adds a residual update whose scale grows with depth and is correlated from token to token, and a
/// few channels carry large outliers (one "massive activation" channel reaching ~1e4 on the first
/// token from the third layer on, two channels at ~10² on every token).
public struct SyntheticStates: Sendable {
    public let layers: Int
    public let hidden: Int
    public let seed: UInt64
    public let minTokens: Int
    public let maxTokens: Int
    public let labelCount: Int
    public let idPrefix: String
    /// Vocabulary size token ids are drawn from.
    public let vocabulary = 49152
    private let massiveChannel: Int
    private let largeChannels: (Int, Int)

    public init(layers: Int, hidden: Int, seed: UInt64, minTokens: Int, maxTokens: Int, labelCount: Int = 0, idPrefix: String = "") {
        self.layers = layers
        self.hidden = hidden
        self.seed = seed
        self.minTokens = minTokens
        self.maxTokens = max(minTokens, maxTokens)
        self.labelCount = labelCount
        self.idPrefix = idPrefix
        var rng = SplitMix64(state: seed ^ 0xA5A5_5A5A_1234_5678)
        massiveChannel = Int(rng.next() % UInt64(max(1, hidden)))
        largeChannels = (Int(rng.next() % UInt64(max(1, hidden))), Int(rng.next() % UInt64(max(1, hidden))))
    }

    /// The metadata of a synthetic shard (HF hidden-state semantics for a model of layers-1 blocks).
    public func metadata(dtype: StrataDType) -> StrataMetadata {
        StrataMetadata(
            hidden: hidden, layers: Array(LayerInfo.huggingFaceHiddenStates(blocks: max(1, layers - 1)).prefix(layers)), dtype: dtype,
            model: ModelIdentity(name: "synthetic", architecture: "synthetic", nBlocks: max(1, layers - 1), hiddenSize: hidden),
            labelNames: labelCount > 0 ? (0..<labelCount).map { "class\($0)" } : nil,
            extra: ["synthetic_seed": String(seed)])
    }

    /// Record `index`: its input (id "<prefix><index>", labels, token ids, text) and its values
    /// (layers × tokens × hidden, layer-major) written into `values` (resized as needed).
    public func record(_ index: Int, values: inout [Float]) -> RecordInput {
        var rng = SplitMix64(state: seed &+ UInt64(index) &* SplitMix64.goldenGamma)
        let span = UInt64(maxTokens - minTokens + 1)
        let tokens = minTokens + Int(rng.next() % span)
        var ids = [Int32](repeating: 0, count: tokens)
        for t in 0..<tokens {
            // Zipf-like: small ids are frequent.
            let u = rng.nextUnitDouble()
            ids[t] = Int32(min(Double(vocabulary - 1), pow2(u * 15.5) - 1))
        }
        let n = layers * tokens * hidden
        if values.count != n { values = [Float](repeating: 0, count: n) }
        values.withUnsafeMutableBufferPointer { v in
            let base = v.baseAddress!
            // Layer 0: embedding of each token id (deterministic per id).
            for t in 0..<tokens {
                var e = SplitMix64(state: UInt64(UInt32(bitPattern: ids[t])) &* 0xD6E8_FEB8_6659_FD93 ^ seed)
                let row = base + t * hidden
                for h in 0..<hidden { row[h] = e.gaussian() * 0.04 }
            }
            // Later layers: residual updates, AR(1) across tokens, scale growing with depth.
            let rho: Float = 0.6, innovation: Float = (1 - rho * rho).squareRoot()
            for l in 1..<max(1, layers) {
                let scale = 0.05 + 0.6 * Float(l) / Float(max(1, layers - 1))
                let previous = base + (l - 1) * tokens * hidden
                let current = base + l * tokens * hidden
                for t in 0..<tokens {
                    let row = current + t * hidden, prev = previous + t * hidden
                    if t > 0 {
                        // Correlate this token's update with the previous token's update.
                        let lastRow = current + (t - 1) * hidden, lastPrev = previous + (t - 1) * hidden
                        for h in 0..<hidden {
                            row[h] = prev[h] + rho * (lastRow[h] - lastPrev[h]) + innovation * scale * rng.gaussian()
                        }
                    } else {
                        for h in 0..<hidden { row[h] = prev[h] + scale * rng.gaussian() }
                    }
                    row[largeChannels.0] = 60 + 40 * Float(l) / Float(max(1, layers)) + rng.gaussian()
                    row[largeChannels.1] = -(30 + 90 * Float(l) / Float(max(1, layers))) + rng.gaussian()
                    if t == 0 && l >= 2 { row[massiveChannel] = 9000 + 1000 * Float(l) / Float(layers) + 50 * rng.gaussian() }
                }
            }
        }
        let labels = labelCount > 0 ? [Int(rng.next() % UInt64(labelCount))] : []
        return RecordInput(
            id: "\(idPrefix)\(index)", labels: labels, tokenIDs: ids, text: "synthetic record \(index) (\(tokens) tokens)",
            metadata: ["synthetic": "true"])
    }
}

private func pow2(_ x: Double) -> Double {
    var r = 1.0
    var e = x
    while e >= 1 { r *= 2; e -= 1 }
    return r * (1 + e * (0.6931471805599453 + e * (0.2402265069591007 + e * 0.0555041086648216)))
}

extension SplitMix64 {
    /// A cheap approximately normal sample: Irwin–Hall of the four 16-bit quarters of one output, unit variance.
    @inline(__always) mutating func gaussian() -> Float {
        let r = next()
        let a = Float(r & 0xFFFF), b = Float((r >> 16) & 0xFFFF), c = Float((r >> 32) & 0xFFFF), d = Float(r >> 48)
        return ((a + b + c + d) * (1 / 65536) - 2) * 1.7320508
    }
}
