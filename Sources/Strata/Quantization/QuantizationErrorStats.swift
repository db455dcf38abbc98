import Foundation

/// The distribution of per-vector relative L2 errors ‖x − x̂‖ / ‖x‖ of a lossy shard, as recorded in
/// its metadata (`quantization.rel_error`, spec/FORMAT.md §4). `mean` and `max` are exact; `p50`
/// and `p99` are upper bounds from a histogram of 64 logarithmic bins per octave (at most 1.1 %
/// above the exact percentile).
public struct QuantizationErrorSummary: Codable, Sendable, Equatable {
    public var vectors: Int
    public var mean: Double
    public var p50: Double
    public var p99: Double
    public var max: Double
}

extension QuantizationErrorSummary {
    /// Figures for several shards together: vectors and mean exact, max exact, and p50 / p99 as the
    /// largest of the shards' (an upper bound: at most 1 % of every shard's vectors lie above its
    /// p99, so at most 1 % of all lie above the largest). Nil when any shard has no figures.
    public static func combined(_ parts: [QuantizationErrorSummary?]) -> QuantizationErrorSummary? {
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        let all = parts.compactMap { $0 }
        let vectors = all.reduce(0) { $0 + $1.vectors }
        let mean = vectors > 0 ? all.reduce(0.0) { $0 + $1.mean * Double($1.vectors) } / Double(vectors) : 0
        return QuantizationErrorSummary(
            vectors: vectors, mean: mean, p50: all.map(\.p50).max()!, p99: all.map(\.p99).max()!,
            max: all.map(\.max).max()!)
    }
}

/// Accumulates per-vector errors into `QuantizationErrorSummary` figures in bounded memory.
public struct QuantizationErrorStats: Sendable, Equatable {
    public private(set) var vectors = 0
    private var sum = 0.0
    private var largest = 0.0
    /// bins[0]: errors below 2^minExponent (including 0); bin b ≥ 1: [2^(minExponent + (b−1)/64), 2^(minExponent + b/64)).
    private var bins: [Int] = []
    private static let binsPerOctave = 64.0
    private static let minExponent = -40.0
    private static let octaves = 44.0

    public init() {}

    public mutating func add(_ error: Float) {
        let e = Double(error)
        if bins.isEmpty { bins = Array(repeating: 0, count: Int(Self.octaves * Self.binsPerOctave) + 2) }
        vectors += 1
        sum += e
        largest = Swift.max(largest, e)
        var bin = 0
        if e >= exp2(Self.minExponent) {
            bin = Swift.min(bins.count - 1, 1 + Int(((log2(e) - Self.minExponent) * Self.binsPerOctave).rounded(.down)))
        }
        bins[bin] += 1
    }

    public mutating func merge(_ other: QuantizationErrorStats) {
        guard other.vectors > 0 else { return }
        if bins.isEmpty { bins = Array(repeating: 0, count: other.bins.count) }
        for b in 0..<bins.count { bins[b] += other.bins[b] }
        vectors += other.vectors
        sum += other.sum
        largest = Swift.max(largest, other.largest)
    }

    /// The upper edge of the bin holding the q-quantile (capped at the exact maximum).
    private func percentile(_ q: Double) -> Double {
        guard vectors > 0 else { return 0 }
        let rank = Swift.max(1, Int((q * Double(vectors)).rounded(.up)))
        var seen = 0
        for (b, count) in bins.enumerated() {
            seen += count
            if seen >= rank {
                let edge = exp2(Self.minExponent + Double(b) / Self.binsPerOctave)
                return Swift.min(edge, largest)
            }
        }
        return largest
    }

    public var summary: QuantizationErrorSummary {
        QuantizationErrorSummary(
            vectors: vectors, mean: vectors > 0 ? sum / Double(vectors) : 0,
            p50: percentile(0.5), p99: percentile(0.99), max: largest)
    }
}
