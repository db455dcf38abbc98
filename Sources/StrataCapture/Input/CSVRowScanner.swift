/// An RFC 4180 CSV scanner over a `ChunkedInput`: quoted fields with doubled quotes and embedded
/// newlines, CRLF or LF line ends, one row at a time. Fields stay bytes so that the caller decides what
/// invalid UTF-8 means. A row longer than `maxRowBytes` is scanned to its end (quotes still decide where
/// that is) without keeping its fields.
struct CSVRowScanner {
    /// One scanned row, with the first bytes of its raw text (for messages).
    struct Row {
        enum Content {
            case fields([[UInt8]])
            case malformed(String)
            case tooLong(byteCount: Int)
        }

        var content: Content
        var head: [UInt8]
    }

    let input: ChunkedInput
    let maxRowBytes: Int
    let headBytes: Int

    private static let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D

    /// The next row, or nil at the end of the file.
    func nextRow() throws -> Row? {
        guard try input.peek() != nil else { return nil }
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var error: String?
        var count = 0
        var head: [UInt8] = []
        var tooLong = false

        /// Consumes the next byte (known to exist), counting it against the row's limit unless it ends the row.
        func take(endsRow: Bool = false) throws -> UInt8 {
            let byte = try input.peek()!
            input.advance()
            if endsRow { return byte }
            count += 1
            if head.count < headBytes { head.append(byte) }
            if count > maxRowBytes && !tooLong {
                tooLong = true
                fields = []
                field = []
            }
            return byte
        }
        func keep(_ byte: UInt8) { if !tooLong { field.append(byte) } }

        while true {
            if try input.peek() == Self.quote {
                _ = try take()
                var closed = false
                while let byte = try input.peek() {
                    _ = try take()
                    if byte == Self.quote {
                        if try input.peek() == Self.quote {
                            _ = try take()
                            keep(Self.quote)
                            continue
                        }
                        closed = true
                        break
                    }
                    keep(byte)
                }
                if !closed { error = "unterminated quoted field" }
                // After a closing quote only a separator or a line end may follow.
                if closed, let next = try input.peek(), next != Self.comma && next != Self.lf && next != Self.cr {
                    error = error ?? "text after a closing quote"
                    while let byte = try input.peek(), byte != Self.comma && byte != Self.lf { _ = try take() }
                }
            } else {
                while let byte = try input.peek(), byte != Self.comma && byte != Self.lf && byte != Self.cr { keep(try take()) }
            }
            if !tooLong { fields.append(field) }
            field = []
            guard let next = try input.peek() else { break }
            if next == Self.comma {
                _ = try take()
                continue
            }
            if next == Self.cr { _ = try take(endsRow: true) }
            if try input.peek() == Self.lf { _ = try take(endsRow: true) }
            break
        }
        if tooLong { return Row(content: .tooLong(byteCount: count), head: head) }
        if let error { return Row(content: .malformed(error), head: head) }
        return Row(content: .fields(fields), head: head)
    }
}
