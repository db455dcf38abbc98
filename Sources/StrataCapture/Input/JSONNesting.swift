/// How deeply a JSON text nests arrays and objects, found by a linear scan (brackets inside strings do
/// not count) before the text reaches a parser: Foundation's `JSONSerialization` recurses per level and
/// refuses more than 512 of them with a generic "not in the correct format" error, so deeper rows are
/// reported by this check instead, and never reach a recursive parser.
enum JSONNesting {
    /// The deepest nesting a capture input row may have (JSONSerialization's own limit).
    static let maxDepth = 512

    /// True when `bytes` opens more than `limit` arrays or objects inside one another.
    static func exceeds(_ limit: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C { // backslash
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x22: inString = true
            case 0x5B, 0x7B: // [ {
                depth += 1
                if depth > limit { return true }
            case 0x5D, 0x7D: depth -= 1 // ] }
            default: break
            }
        }
        return false
    }
}
