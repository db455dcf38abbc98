/// Merges a run of token ids by a rule table: repeatedly the adjacent pair of lowest rank (leftmost on ties)
/// becomes the pair's result, until no adjacent pair has a rule. Byte-level BPE ranks rules by merge order;
/// SentencePiece ranks them by the score of the merged token (higher score, lower rank), which is the same loop.
///
/// Short runs rescan all pairs each step; longer ones use a heap (same order, O(n log n)).
struct BPEMerger: Sendable {
    let table: BPEMergeTable

    /// Reusable buffers: fill `symbols`, call `merge`, read the merged ids back from `symbols`.
    struct Scratch {
        var symbols: [Int32] = []
        var next: [Int32] = []
        var previous: [Int32] = []
        var heap: [UInt64] = []
    }

    /// Runs up to this many symbols merge by rescanning all pairs each step; longer ones use a heap.
    private static let linearMergeLimit = 48

    /// Merges `scratch.symbols` in place. Every symbol must be a token id (>= 0).
    func merge(_ scratch: inout Scratch) {
        if scratch.symbols.count > Self.linearMergeLimit {
            mergeWithHeap(&scratch)
        } else {
            mergeLinear(&scratch.symbols)
        }
    }

    private func mergeLinear(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestPosition = -1
            var bestResult: Int32 = 0
            for position in 0..<(symbols.count - 1) {
                if let rule = table.lookup(symbols[position], symbols[position + 1]), rule.rank < bestRank {
                    bestRank = rule.rank
                    bestPosition = position
                    bestResult = rule.result
                }
            }
            if bestPosition < 0 { return }
            symbols[bestPosition] = bestResult
            symbols.remove(at: bestPosition + 1)
        }
    }

    /// The same merge order as `mergeLinear` — lowest rank first, leftmost on ties — in O(n log n): a
    /// linked list of symbols and a min-heap of (rank, left position); stale heap entries are skipped.
    private func mergeWithHeap(_ scratch: inout Scratch) {
        let count = scratch.symbols.count
        scratch.next = (0..<count).map { Int32($0 + 1) }
        scratch.previous = (0..<count).map { Int32($0 - 1) }
        scratch.next[count - 1] = -1
        scratch.heap.removeAll(keepingCapacity: true)
        var heap = MinHeap(storage: scratch.heap)
        func entry(_ rank: Int32, _ position: Int) -> UInt64 { UInt64(UInt32(rank)) << 32 | UInt64(position) }
        for position in 0..<(count - 1) {
            if let rule = table.lookup(scratch.symbols[position], scratch.symbols[position + 1]) {
                heap.push(entry(rule.rank, position))
            }
        }
        while let top = heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let position = Int(top & 0xFFFF_FFFF)
            let right = Int(scratch.next[position])
            // Stale if the left symbol was absorbed, has no right neighbour, or the pair changed.
            guard scratch.symbols[position] >= 0, right >= 0,
                let rule = table.lookup(scratch.symbols[position], scratch.symbols[right]), rule.rank == rank
            else { continue }
            scratch.symbols[position] = rule.result
            scratch.symbols[right] = -1
            let afterRight = Int(scratch.next[right])
            scratch.next[position] = Int32(afterRight)
            if afterRight >= 0 { scratch.previous[afterRight] = Int32(position) }
            let before = Int(scratch.previous[position])
            if before >= 0, let left = table.lookup(scratch.symbols[before], rule.result) {
                heap.push(entry(left.rank, before))
            }
            if afterRight >= 0, let next = table.lookup(rule.result, scratch.symbols[afterRight]) {
                heap.push(entry(next.rank, position))
            }
        }
        scratch.heap = heap.storage
        var write = 0
        for read in 0..<count where scratch.symbols[read] >= 0 {
            scratch.symbols[write] = scratch.symbols[read]
            write += 1
        }
        scratch.symbols.removeLast(count - write)
    }
}

/// A binary min-heap of packed (rank, position) keys.
private struct MinHeap {
    var storage: [UInt64]

    mutating func push(_ value: UInt64) {
        storage.append(value)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if storage[parent] <= storage[child] { break }
            storage.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let last = storage.popLast() else { return nil }
        guard !storage.isEmpty else { return last }
        let top = storage[0]
        storage[0] = last
        var parent = 0
        let count = storage.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            let right = left + 1
            let smaller = right < count && storage[right] < storage[left] ? right : left
            if storage[parent] <= storage[smaller] { break }
            storage.swapAt(parent, smaller)
            parent = smaller
        }
        return top
    }
}
