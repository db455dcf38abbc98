import Foundation
import StrataUtilities

/// How the next token is chosen from the output logits.
public struct SamplingOptions: Sendable, Equatable {
    /// 0 = greedy (argmax); otherwise logits are divided by this before the softmax.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens before sampling (0 = all).
    public var topK: Int
    /// Seed of the sampling random numbers (sampling with a seed is reproducible).
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingOptions()
}

/// Picks tokens from logits: argmax when the temperature is 0, otherwise a seeded draw from the
/// temperature-scaled softmax over the `topK` most likely tokens.
public struct TokenSampler: Sendable {
    public let options: SamplingOptions
    private var random: SplitMix64

    public init(options: SamplingOptions) throws {
        guard options.temperature >= 0, options.temperature.isFinite else {
            throw LlamaError.invalidSetting(
                InvalidSetting(GenerationSetting.temperature, value: "\(options.temperature)", "must be a finite number >= 0"))
        }
        guard options.topK >= 0 else {
            throw LlamaError.invalidSetting(InvalidSetting(GenerationSetting.topK, value: "\(options.topK)", "must be >= 0"))
        }
        self.options = options
        random = SplitMix64(state: options.seed)
    }

    /// The next token for `logits` (one value per vocabulary entry).
    public mutating func sample(_ logits: [Float]) -> Int32 {
        if options.temperature == 0 || logits.count < 2 { return Self.argmax(logits) }
        var candidates = Array(logits.indices)
        if options.topK > 0 && options.topK < logits.count {
            candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            candidates.removeLast(candidates.count - options.topK)
        }
        let maximum = candidates.reduce(-Float.infinity) { max($0, logits[$1]) }
        var weights = candidates.map { exp(Double((logits[$0] - maximum) / options.temperature)) }
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        var draw = random.nextUnitDouble()
        for (i, weight) in weights.enumerated() {
            draw -= weight
            if draw < 0 { return Int32(candidates[i]) }
        }
        return Int32(candidates[candidates.count - 1])
    }

    /// Index of the largest logit (the lowest index on ties).
    public static func argmax(_ logits: [Float]) -> Int32 {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return Int32(best)
    }
}
