/// Seeded uniform permutations of record indices (Fisher–Yates / Durstenfeld driven by
/// `Xoshiro256StarStar.bounded`, so every one of the n! orders is equally likely up to the
/// generator's quality). Indices are stored as `UInt32`: 4 bytes per record, 40 MB for ten
/// million records.
public enum Permutation {
    /// The largest record count a permutation can hold.
    public static let maxCount = Int(UInt32.max) + 1

    /// `0 ..< count` in the order drawn from `generator`.
    ///
    /// The walk runs i = count-1 down to 1 and swaps slot i with slot `bounded(i + 1)`;
    /// `python/strata/epoch.py` (printed by `checks/stream_reference.py`) implements the same steps independently.
    public static func shuffled(count: Int, using generator: inout Xoshiro256StarStar) -> [UInt32] {
        precondition(count >= 0 && count <= maxCount, "permutation size out of range")
        var order = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = UInt32(truncatingIfNeeded: i) }
            initialized = count
        }
        guard count > 1 else { return order }
        order.withUnsafeMutableBufferPointer { slots in
            var i = count - 1
            while i > 0 {
                let j = Int(generator.bounded(UInt64(i + 1)))
                slots.swapAt(i, j)
                i -= 1
            }
        }
        return order
    }
}
