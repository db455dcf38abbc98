import Foundation

/// The ids each pre-tokenised piece merged into, shared by all `encode` calls of one tokenizer.
///
/// Pieces of up to 16 bytes (nearly all of them) are keyed by two packed words, so a lookup allocates
/// nothing; longer ones up to `longestPiece` by their bytes; longer still are not cached. Each table is
/// emptied when it reaches `limit` entries. Thread-safe (one lock, held only for the table access).
final class PieceCache: @unchecked Sendable {
    /// Pieces longer than this are not cached (rare, and would bloat the cache).
    static let longestPiece = 256

    private let lock = NSLock()
    private var short: [ShortKey: [Int32]] = [:]
    private var long: [[UInt8]: [Int32]] = [:]
    private let limit: Int

    init(limit: Int = 200_000) {
        self.limit = limit
    }

    /// The cached ids of `piece`, if any.
    func lookup(_ piece: UnsafeBufferPointer<UInt8>) -> [Int32]? {
        if piece.count <= ShortKey.capacity {
            let key = ShortKey(piece)
            lock.lock()
            defer { lock.unlock() }
            return short[key]
        }
        guard piece.count <= Self.longestPiece else { return nil }
        let key = Array(piece)
        lock.lock()
        defer { lock.unlock() }
        return long[key]
    }

    /// Remembers the ids of `piece` (ignored for pieces longer than `longestPiece`).
    func store(_ ids: ArraySlice<Int32>, for piece: UnsafeBufferPointer<UInt8>) {
        let value = Array(ids)
        if piece.count <= ShortKey.capacity {
            let key = ShortKey(piece)
            lock.lock()
            defer { lock.unlock() }
            if short.count >= limit { short.removeAll(keepingCapacity: true) }
            short[key] = value
        } else if piece.count <= Self.longestPiece {
            let key = Array(piece)
            lock.lock()
            defer { lock.unlock() }
            if long.count >= limit { long.removeAll(keepingCapacity: true) }
            long[key] = value
        }
    }

    /// The bytes of a piece of at most 16 bytes, packed little-endian into two words (zero-padded), plus
    /// the length (so that trailing zero bytes stay distinct).
    private struct ShortKey: Hashable {
        static let capacity = 16
        let low: UInt64
        let high: UInt64
        let count: Int

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            var low: UInt64 = 0
            var high: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                if index < 8 {
                    low |= UInt64(byte) << UInt64(8 * index)
                } else {
                    high |= UInt64(byte) << UInt64(8 * (index - 8))
                }
            }
            self.low = low
            self.high = high
            count = bytes.count
        }
    }
}
