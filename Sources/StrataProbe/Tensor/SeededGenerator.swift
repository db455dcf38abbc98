import Foundation
import StrataUtilities

/// A small, fast, reproducible random generator: SplitMix64 (`StrataUtilities`) with the draws probes
/// need. The same seed gives the same stream on every platform, which makes initialisation and shuffling
/// reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var splitMix: SplitMix64

    public init(seed: UInt64) { splitMix = SplitMix64(state: seed) }

    public mutating func next() -> UInt64 { splitMix.next() }

    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Float { splitMix.nextUnitFloat() }

    /// Uniform in [−bound, bound).
    public mutating func uniform(_ bound: Float) -> Float { (nextUnit() * 2 - 1) * bound }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(splitMix.nextUnitDouble(), 1e-300)
        let u2 = splitMix.nextUnitDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// A seeded Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }
}
