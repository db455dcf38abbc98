/// A seeded train/validation split of record indices 0..<count: the first ⌈(1 − fraction)·count⌉
/// records of a seeded permutation train, the rest validate (both returned in ascending order).
public func splitRecords(count: Int, validationFraction f: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
    guard f > 0, count > 1 else { return (Array(0..<count), []) }
    var rng = SeededGenerator(seed: seed ^ 0x5B11_7000)
    let p = rng.permutation(count)
    let nVal = min(count - 1, max(1, Int((Double(count) * f).rounded())))
    return (p[nVal...].sorted(), p[..<nVal].sorted())
}
