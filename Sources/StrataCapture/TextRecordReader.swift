import Foundation

/// One input row of a capture job: a text to run through the model, with its id and label.
public struct TextRecord: Sendable, Equatable {
    /// 1-based row number in the input file (data rows; a CSV header is row 0).
    public var row: Int
    public var id: String
    public var text: String
    public var label: Int?
}

/// Why an input row cannot become a record.
public enum TextRowProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case missingField(String)
    case emptyText
    case invalidUTF8
    case badLabel(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed row: \(why)"
        case .missingField(let name): return "missing field '\(name)'"
        case .emptyText: return "empty text"
        case .invalidUTF8: return "text is not valid UTF-8"
        case .badLabel(let value): return "label '\(value)' is not an integer"
        }
    }
}

/// An error reading a capture input file, naming the file and row.
public struct TextInputError: Error, CustomStringConvertible {
    public var path: String
    public var row: Int?
    public var problem: String
    public var description: String {
        if let row { return "\(path): row \(row): \(problem)" }
        return "\(path): \(problem)"
    }
}

/// Which input columns hold the text, label and id.
public struct TextFields: Sendable {
    public var text = "text"
    public var label: String? = "label"
    public var id: String? = "id"
    public init(text: String = "text", label: String? = "label", id: String? = "id") {
        self.text = text; self.label = label; self.id = id
    }
}

/// Reads a capture input file (`.jsonl` — one JSON object per line — or `.csv` with a
/// header row, RFC 4180 quoting) into rows. Every row comes back either as a record or
/// as a problem with its row number, so the caller applies its own skip-or-fail policy.
///
/// Labels may be integers, integer strings, or — for CSV and JSON strings — class names
/// listed in `labelNames` (their index becomes the label). A missing id becomes
/// `row-<n>`, stable across runs of the same file.
public struct TextRecordReader {
    public let path: String
    public let fields: TextFields
    public var labelNames: [String]?

    public init(path: String, fields: TextFields = TextFields(), labelNames: [String]? = nil) {
        self.path = path
        self.fields = fields
        self.labelNames = labelNames
    }

    public enum Format { case jsonl, csv }

    public var format: Format {
        path.lowercased().hasSuffix(".csv") ? .csv : .jsonl
    }

    /// Reads every row. Throws only for whole-file problems (unreadable file, CSV header
    /// without the text column); per-row problems are returned in order.
    public func readAll() throws -> [Result<TextRecord, RowFailure>] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextInputError(path: path, row: nil, problem: "cannot read file")
        }
        switch format {
        case .jsonl: return readJSONL(data)
        case .csv: return try readCSV(data)
        }
    }

    /// A row that could not become a record.
    public struct RowFailure: Error, Sendable, Equatable {
        public var row: Int
        public var problem: TextRowProblem
    }

    // MARK: JSON lines

    private func readJSONL(_ data: Data) -> [Result<TextRecord, RowFailure>] {
        var out: [Result<TextRecord, RowFailure>] = []
        var row = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            let n = bytes.count
            while start < n {
                var end = start
                while end < n && bytes[end] != 0x0A { end += 1 }
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<lineEnd])
                start = end + 1
                // Blank lines are not rows.
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                row += 1
                out.append(parseJSONLine(line, row: row))
            }
        }
        return out
    }

    private func parseJSONLine(_ line: UnsafeBufferPointer<UInt8>, row: Int) -> Result<TextRecord, RowFailure> {
        guard String(validating: line, as: UTF8.self) != nil else {
            return .failure(RowFailure(row: row, problem: .invalidUTF8))
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line), options: [])
        } catch {
            return .failure(RowFailure(row: row, problem: .malformed("not a JSON object")))
        }
        guard let dict = object as? [String: Any] else {
            return .failure(RowFailure(row: row, problem: .malformed("not a JSON object")))
        }
        guard let textValue = dict[fields.text] else {
            return .failure(RowFailure(row: row, problem: .missingField(fields.text)))
        }
        guard let text = textValue as? String else {
            return .failure(RowFailure(row: row, problem: .malformed("field '\(fields.text)' is not a string")))
        }
        var label: Int?
        if let labelField = fields.label, let value = dict[labelField], !(value is NSNull) {
            switch parseLabel(value) {
            case .success(let l): label = l
            case .failure(let p): return .failure(RowFailure(row: row, problem: p))
            }
        }
        var id = "row-\(row)"
        if let idField = fields.id, let value = dict[idField], !(value is NSNull) {
            if let s = value as? String { id = s } else if let n = value as? NSNumber { id = n.stringValue }
        }
        return finish(row: row, id: id, text: text, label: label)
    }

    private func parseLabel(_ value: Any) -> Result<Int?, TextRowProblem> {
        if let n = value as? NSNumber {
            // JSON booleans arrive as NSNumber too; an integral double is accepted.
            let d = n.doubleValue
            if d.rounded() == d, abs(d) < 1e9 { return .success(Int(d)) }
            return .failure(.badLabel(n.stringValue))
        }
        if let s = value as? String { return parseLabelString(s) }
        return .failure(.badLabel(String(describing: value)))
    }

    private func parseLabelString(_ raw: String) -> Result<Int?, TextRowProblem> {
        let s = raw.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { return .success(nil) }
        if let n = Int(s) { return .success(n) }
        if let names = labelNames, let index = names.firstIndex(of: s) { return .success(index) }
        return .failure(.badLabel(s))
    }

    private func finish(row: Int, id: String, text: String, label: Int?) -> Result<TextRecord, RowFailure> {
        if text.isEmpty { return .failure(RowFailure(row: row, problem: .emptyText)) }
        return .success(TextRecord(row: row, id: id, text: text, label: label))
    }

    // MARK: CSV

    private func readCSV(_ data: Data) throws -> [Result<TextRecord, RowFailure>] {
        var rows = CSVScanner(data: data).rows()
        guard !rows.isEmpty else { return [] }
        let headerBytes = rows.removeFirst()
        guard case .success(let headerFields) = headerBytes else {
            throw TextInputError(path: path, row: 0, problem: "the CSV header is malformed")
        }
        let header = headerFields.map { String(decoding: $0, as: UTF8.self) }
        guard let textColumn = header.firstIndex(of: fields.text) else {
            throw TextInputError(path: path, row: 0,
                                 problem: "no column '\(fields.text)' (columns: \(header.joined(separator: ", "))); choose one with --text-field")
        }
        let labelColumn = fields.label.flatMap { header.firstIndex(of: $0) }
        let idColumn = fields.id.flatMap { header.firstIndex(of: $0) }
        var out: [Result<TextRecord, RowFailure>] = []
        out.reserveCapacity(rows.count)
        for (i, parsed) in rows.enumerated() {
            let row = i + 1
            switch parsed {
            case .failure(let why):
                out.append(.failure(RowFailure(row: row, problem: .malformed(why.message))))
            case .success(let cells):
                guard cells.count == header.count else {
                    out.append(.failure(RowFailure(row: row, problem: .malformed("\(cells.count) fields, header has \(header.count)"))))
                    continue
                }
                guard let text = String(validating: cells[textColumn], as: UTF8.self) else {
                    out.append(.failure(RowFailure(row: row, problem: .invalidUTF8)))
                    continue
                }
                var label: Int?
                if let c = labelColumn {
                    switch parseLabelString(String(decoding: cells[c], as: UTF8.self)) {
                    case .success(let l): label = l
                    case .failure(let p): out.append(.failure(RowFailure(row: row, problem: p))); continue
                    }
                }
                var id = "row-\(row)"
                if let c = idColumn, !cells[c].isEmpty { id = String(decoding: cells[c], as: UTF8.self) }
                out.append(finish(row: row, id: id, text: text, label: label))
            }
        }
        return out
    }
}

/// An RFC 4180 CSV scanner over raw bytes: quoted fields with doubled quotes and
/// embedded newlines, CRLF or LF line ends. Fields stay bytes so that the caller
/// decides what invalid UTF-8 means.
struct CSVScanner {
    struct Malformed: Error { var message: String }
    let data: Data

    func rows() -> [Result<[[UInt8]], Malformed>] {
        var out: [Result<[[UInt8]], Malformed>] = []
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.count
            var i = 0
            while i < n {
                var fields: [[UInt8]] = []
                var field: [UInt8] = []
                var error: Malformed?
                var endOfRow = false
                while !endOfRow {
                    if i < n && b[i] == 0x22 { // quoted field
                        i += 1
                        var closed = false
                        while i < n {
                            if b[i] == 0x22 {
                                if i + 1 < n && b[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                                i += 1; closed = true; break
                            }
                            field.append(b[i]); i += 1
                        }
                        if !closed { error = Malformed(message: "unterminated quoted field"); }
                        // After a closing quote only a separator or a line end may follow.
                        if closed && i < n && b[i] != 0x2C && b[i] != 0x0A && b[i] != 0x0D {
                            error = error ?? Malformed(message: "text after a closing quote")
                            while i < n && b[i] != 0x2C && b[i] != 0x0A { i += 1 }
                        }
                    } else {
                        while i < n && b[i] != 0x2C && b[i] != 0x0A && b[i] != 0x0D { field.append(b[i]); i += 1 }
                    }
                    fields.append(field); field = []
                    if i >= n { endOfRow = true }
                    else if b[i] == 0x2C { i += 1 }
                    else {
                        if b[i] == 0x0D { i += 1 }
                        if i < n && b[i] == 0x0A { i += 1 }
                        endOfRow = true
                    }
                }
                if let error { out.append(.failure(error)) } else { out.append(.success(fields)) }
            }
        }
        return out
    }
}
