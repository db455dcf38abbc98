/// Finds added tokens (control and user-defined) in raw text so that they are kept whole, before
/// pre-tokenisation — leftmost match first, the longest one where several start at the same place, as
/// Hugging Face's added-vocabulary splitter does.
struct SpecialTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let bytes: [UInt8]
        let id: Int32
    }

    /// Candidates by first byte, longest first.
    private let byFirstByte: [[Candidate]]
    let isEmpty: Bool

    init(tokens: [(text: String, id: Int32)]) {
        var table = [[Candidate]](repeating: [], count: 256)
        for (text, id) in tokens where !text.isEmpty {
            let bytes = Array(text.utf8)
            table[Int(bytes[0])].append(Candidate(bytes: bytes, id: id))
        }
        for index in table.indices { table[index].sort { $0.bytes.count > $1.bytes.count } }
        byFirstByte = table
        isEmpty = tokens.allSatisfy { $0.text.isEmpty }
    }

    /// Splits `bytes` into plain-text ranges and matched tokens, in order.
    func forEachSegment(
        in bytes: UnsafeBufferPointer<UInt8>, text: (Range<Int>) -> Void, token: (Int32) -> Void
    ) {
        var plainStart = 0
        var position = 0
        let count = bytes.count
        outer: while position < count {
            let candidates = byFirstByte[Int(bytes[position])]
            if !candidates.isEmpty {
                for candidate in candidates where candidate.bytes.count <= count - position {
                    var matches = true
                    for (offset, byte) in candidate.bytes.enumerated() where bytes[position + offset] != byte {
                        matches = false
                        break
                    }
                    if matches {
                        if plainStart < position { text(plainStart..<position) }
                        token(candidate.id)
                        position += candidate.bytes.count
                        plainStart = position
                        continue outer
                    }
                }
            }
            position += 1
        }
        if plainStart < count { text(plainStart..<count) }
    }
}
