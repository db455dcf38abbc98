/// The BPE merge rules as an open-addressing hash table: (left id, right id) → (rank, merged id).
///
/// A flat table with a multiplicative hash; `Dictionary` hashes with SipHash, which is several times
/// slower in the merge loop.
struct BPEMergeTable: Sendable {
    private var keys: [UInt64]
    private var ranks: [Int32]
    private var merged: [Int32]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        ranks = [Int32](repeating: 0, count: size)
        merged = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Adds or replaces a rule (a later duplicate replaces an earlier one, as in Hugging Face `tokenizers`).
    mutating func insert(left: Int32, right: Int32, rank: Int32, result: Int32) {
        let key = Self.key(left, right)
        var index = slot(for: key)
        while keys[index] != Self.empty && keys[index] != key { index = (index + 1) & mask }
        keys[index] = key
        ranks[index] = rank
        merged[index] = result
    }

    /// The rule for a pair, or nil when the pair never merges.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let key = Self.key(left, right)
        var index = slot(for: key)
        while true {
            let stored = keys[index]
            if stored == key { return (ranks[index], merged[index]) }
            if stored == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }
}
