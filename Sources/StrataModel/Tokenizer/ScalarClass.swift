/// The character classes the pre-tokenizer regexes use, as bit flags per Unicode scalar.
///
/// - `letter`: `\p{L}` (general categories Lu, Ll, Lt, Lm, Lo)
/// - `number`: `\p{N}` (Nd, Nl, No)
/// - `space`: `\s` (the Unicode White_Space property, as Oniguruma and Python's `regex` use it)
/// - `newline`: `[\r\n]`
struct ScalarClass: OptionSet {
    let rawValue: UInt8
    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let space = ScalarClass(rawValue: 4)
    static let newline = ScalarClass(rawValue: 8)

    /// Neither letter, number nor space: what `[^\s\p{L}\p{N}]` matches.
    var isOther: Bool { rawValue & 0b0111 == 0 }

    private static let ascii: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    /// The class of one scalar (table lookup for ASCII).
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        scalar.value < 128 ? ascii[Int(scalar.value)] : classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        var result: ScalarClass = []
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        default:
            break
        }
        if properties.isWhitespace { result.insert(.space) }
        if scalar.value == 0x0A || scalar.value == 0x0D { result.insert(.newline) }
        return result
    }
}
