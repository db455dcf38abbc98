/// A short, printable excerpt of an input row for messages and the capture report: at most `maxBytes`
/// bytes of it (cut at a UTF-8 character boundary), invalid UTF-8 shown as U+FFFD, control characters
/// escaped, and "…" when the row is longer.
enum RowExcerpt {
    static let maxBytes = 80

    static func of<Bytes: Collection>(_ bytes: Bytes, totalBytes: Int? = nil) -> String where Bytes.Element == UInt8 {
        var kept = Array(bytes.prefix(maxBytes))
        let total = totalBytes ?? bytes.count
        if total > kept.count {
            // Drop a character cut in half: a lead byte followed by fewer continuation bytes (10xxxxxx)
            // than it announces.
            var lead = kept.count - 1
            while lead > 0 && kept[lead] & 0xC0 == 0x80 && kept.count - lead < 4 { lead -= 1 }
            if lead >= 0 && kept[lead] >= 0xC0 {
                let length = kept[lead] >= 0xF0 ? 4 : kept[lead] >= 0xE0 ? 3 : 2
                if kept.count - lead < length { kept.removeLast(kept.count - lead) }
            }
        }
        var text = ""
        for scalar in String(decoding: kept, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    text += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return total > kept.count ? text + "…" : text
    }

    static func of(text: String) -> String { of(Array(text.utf8.prefix(maxBytes + 4)), totalBytes: text.utf8.count) }
}
