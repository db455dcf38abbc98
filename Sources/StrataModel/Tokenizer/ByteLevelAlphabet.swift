/// GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabularies.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes are
/// shifted to U+0100 and up, in byte order (so the space byte 0x20 is `Ġ` U+0120, `\n` is `Ċ` U+010A).
enum ByteLevelAlphabet {
    /// `scalarForByte[b]`: the character that spells byte `b`.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted: UInt32 = 0
        for byte in 0..<256 {
            let standsForItself =
                (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte)
                || (0xAE...0xFF).contains(byte)
            let value: UInt32 = standsForItself ? UInt32(byte) : 256 + shifted
            if !standsForItself { shifted += 1 }
            table[byte] = Unicode.Scalar(value)! // all values are < 0x144, valid scalars
        }
        return table
    }()

    /// The byte a character of the alphabet spells, or nil for a character outside the alphabet.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForScalar.count else { return nil }
        let byte = byteForScalar[value]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// Indexed by scalar value (all alphabet characters are below U+0144); -1 outside the alphabet.
    private static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The alphabet spelling of raw bytes (`" hi"` → `"Ġhi"`).
    static func spell<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(scalarForByte[Int(byte)]) }
        return String(result)
    }

    /// The bytes a token spelled in the alphabet stands for, or nil if it uses a character outside it.
    static func bytes(ofSpelling token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            out.append(byte)
        }
        return out
    }
}
