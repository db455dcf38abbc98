/// The pre-tokenizer's working state: one text segment decoded into scalars with their classes and UTF-8
/// offsets, reused across calls so that splitting allocates nothing per piece.
struct PreTokenizerScanner {
    private var scalars: [UInt32] = []
    private var classes: [ScalarClass] = []
    /// `offsets[i]`: byte offset of scalar `i` in the segment; `offsets[count]` = segment end.
    private var offsets: [Int] = []

    /// Splits `bytes[range]` (valid UTF-8) into pieces, calling `emit` with each piece's byte range
    /// (indices of `bytes`), in order. The pieces cover the range exactly.
    mutating func split(
        _ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, family: PreTokenizer, emit: (Range<Int>) -> Void
    ) {
        decode(bytes, range: range)
        let count = scalars.count
        let base = range.lowerBound
        switch family {
        case .gpt2:
            splitGPT2(0, count, base, emit)
        case .gpt2IsolatedDigits:
            var runStart = 0
            for index in 0..<count where classes[index].contains(.number) {
                if runStart < index { splitGPT2(runStart, index, base, emit) }
                emit((base + offsets[index])..<(base + offsets[index + 1]))
                runStart = index + 1
            }
            if runStart < count { splitGPT2(runStart, count, base, emit) }
        case .llama3:
            splitLlama3(0, count, maxDigits: 3, base, emit)
        case .qwen2:
            splitLlama3(0, count, maxDigits: 1, base, emit)
        }
    }

    /// Decodes UTF-8 into scalars, classes and offsets. Malformed bytes (impossible for bytes taken from
    /// a Swift `String`) become one U+FFFD "other" scalar each, so nothing is dropped.
    private mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        let end = range.upperBound
        var index = range.lowerBound
        while index < end {
            let lead = bytes[index]
            var value: UInt32
            var width: Int
            if lead < 0x80 {
                value = UInt32(lead)
                width = 1
            } else if lead & 0xE0 == 0xC0 {
                value = UInt32(lead & 0x1F)
                width = 2
            } else if lead & 0xF0 == 0xE0 {
                value = UInt32(lead & 0x0F)
                width = 3
            } else if lead & 0xF8 == 0xF0 {
                value = UInt32(lead & 0x07)
                width = 4
            } else {
                value = 0xFFFD
                width = 1
            }
            if width > 1 {
                if index + width > end {
                    value = 0xFFFD
                    width = 1
                } else {
                    for k in 1..<width {
                        let byte = bytes[index + k]
                        if byte & 0xC0 != 0x80 { value = 0xFFFD; width = 1; break }
                        value = value << 6 | UInt32(byte & 0x3F)
                    }
                }
            }
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            scalars.append(scalar.value)
            classes.append(ScalarClass.of(scalar))
            offsets.append(index - range.lowerBound)
            index += width
        }
        offsets.append(end - range.lowerBound)
    }

    // MARK: - GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+

    private func splitGPT2(_ lo: Int, _ hi: Int, _ base: Int, _ emit: (Range<Int>) -> Void) {
        var i = lo
        while i < hi {
            if let length = contractionLength(at: i, end: hi, caseInsensitive: false) {
                emit((base + offsets[i])..<(base + offsets[i + length]))
                i += length
                continue
            }
            // The optional leading space of the next three alternatives.
            let j = (scalars[i] == 0x20 && i + 1 < hi) ? i + 1 : i
            let cls = classes[j]
            let end: Int
            if cls.contains(.letter) {
                end = run(from: j + 1, to: hi) { $0.contains(.letter) }
            } else if cls.contains(.number) {
                end = run(from: j + 1, to: hi) { $0.contains(.number) }
            } else if cls.isOther {
                end = run(from: j + 1, to: hi) { $0.isOther }
            } else {
                end = whitespaceEnd(from: i, to: hi)
            }
            emit((base + offsets[i])..<(base + offsets[end]))
            i = end
        }
    }

    // MARK: - Llama 3 / Qwen2:
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+
    // |\s+(?!\S)|\s+

    private func splitLlama3(_ lo: Int, _ hi: Int, maxDigits: Int, _ base: Int, _ emit: (Range<Int>) -> Void) {
        var i = lo
        while i < hi {
            if let length = contractionLength(at: i, end: hi, caseInsensitive: true) {
                emit((base + offsets[i])..<(base + offsets[i + length]))
                i += length
                continue
            }
            let cls = classes[i]
            var end: Int
            if cls.contains(.letter) {
                end = run(from: i + 1, to: hi) { $0.contains(.letter) }
            } else if !cls.contains(.newline) && !cls.contains(.number) && i + 1 < hi
                && classes[i + 1].contains(.letter)
            {
                end = run(from: i + 2, to: hi) { $0.contains(.letter) }
            } else if cls.contains(.number) {
                end = i + 1
                while end < hi && end - i < maxDigits && classes[end].contains(.number) { end += 1 }
            } else if let punctuationEnd = spacedOtherRun(at: i, end: hi) {
                end = run(from: punctuationEnd, to: hi) { $0.contains(.newline) }
            } else {
                // Whitespace. \s*[\r\n]+ : up to and including the run's last newline, if it has one.
                let runEnd = run(from: i, to: hi) { $0.contains(.space) }
                var lastNewline = -1
                var k = runEnd - 1
                while k >= i {
                    if classes[k].contains(.newline) { lastNewline = k; break }
                    k -= 1
                }
                end = lastNewline >= 0 ? lastNewline + 1 : whitespaceEnd(from: i, to: hi)
            }
            emit((base + offsets[i])..<(base + offsets[end]))
            i = end
        }
    }

    // MARK: - Shared pieces

    /// ` ?[^\s\p{L}\p{N}]+` at `i`: the end of the run, or nil if it does not match.
    private func spacedOtherRun(at i: Int, end hi: Int) -> Int? {
        let j = (scalars[i] == 0x20 && i + 1 < hi) ? i + 1 : i
        guard classes[j].isOther else { return nil }
        return run(from: j + 1, to: hi) { $0.isOther }
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar `i`: the whole run if it ends the segment or is a single
    /// scalar, otherwise the run less its last scalar (which then leads the next piece).
    private func whitespaceEnd(from i: Int, to hi: Int) -> Int {
        let runEnd = run(from: i + 1, to: hi) { $0.contains(.space) }
        if runEnd == hi || runEnd - i == 1 { return runEnd }
        return runEnd - 1
    }

    @inline(__always)
    private func run(from start: Int, to hi: Int, while predicate: (ScalarClass) -> Bool) -> Int {
        var k = start
        while k < hi && predicate(classes[k]) { k += 1 }
        return k
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (ASCII case-insensitively if asked): the match length, or nil.
    private func contractionLength(at i: Int, end hi: Int, caseInsensitive: Bool) -> Int? {
        guard scalars[i] == 0x27, i + 1 < hi else { return nil }
        func letter(_ k: Int) -> UInt32? {
            guard k < hi else { return nil }
            let value = scalars[k]
            if caseInsensitive {
                if value >= 0x41 && value <= 0x5A { return value + 0x20 }
                if value == 0x17F { return 0x73 } // ſ folds to s
            }
            return value
        }
        switch letter(i + 1) {
        case 0x73, 0x74, 0x6D, 0x64: // s t m d
            return 2
        case 0x72: // r(e)
            return letter(i + 2) == 0x65 ? 3 : nil
        case 0x76: // v(e)
            return letter(i + 2) == 0x65 ? 3 : nil
        case 0x6C: // l(l)
            return letter(i + 2) == 0x6C ? 3 : nil
        default:
            return nil
        }
    }
}
