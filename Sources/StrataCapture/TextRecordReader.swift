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
    /// The row has more bytes than the reader's `maxRowBytes`; it was skipped without being kept.
    case tooManyBytes(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed row: \(why)"
        case .missingField(let name): return "missing field '\(name)'"
        case .emptyText: return "empty text"
        case .invalidUTF8: return "text is not valid UTF-8"
        case .badLabel(let value): return "label '\(value)' is not an integer"
        case .tooManyBytes(let bytes, let limit):
            return "the row is \(bytes) bytes, over the limit of \(limit) bytes per row (--max-row-bytes)"
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

/// Reads a capture input file (`.jsonl` — one JSON object per line — or `.csv` with a header row,
/// RFC 4180 quoting) row by row. Every row comes back either as a record or as a problem with its row
/// number and an excerpt, so the caller applies its own skip-or-fail policy.
///
/// The file is read in chunks and a row longer than `maxRowBytes` is skipped to its end without being
/// kept (`tooManyBytes`), so memory does not grow with the longest line. JSON rows nested deeper than
/// `JSONNesting.maxDepth` levels are refused before they reach the parser.
///
/// Labels may be integers, integer strings, or — for CSV and JSON strings — class names
/// listed in `labelNames` (their index becomes the label). A missing id becomes
/// `row-<n>`, stable across runs of the same file.
public struct TextRecordReader {
    /// The default `maxRowBytes`: far above any text a model's context holds, far below what hurts.
    public static let defaultMaxRowBytes = 16 << 20

    public let path: String
    public let fields: TextFields
    public var labelNames: [String]?
    /// Rows with more bytes than this (line end excluded) are skipped unread as `tooManyBytes`.
    public var maxRowBytes: Int

    public init(
        path: String, fields: TextFields = TextFields(), labelNames: [String]? = nil,
        maxRowBytes: Int = TextRecordReader.defaultMaxRowBytes
    ) {
        self.path = path
        self.fields = fields
        self.labelNames = labelNames
        self.maxRowBytes = maxRowBytes
    }

    public enum Format { case jsonl, csv }

    public var format: Format {
        path.lowercased().hasSuffix(".csv") ? .csv : .jsonl
    }

    /// A row that could not become a record.
    public struct RowFailure: Error, Sendable, Equatable {
        public var row: Int
        public var problem: TextRowProblem
        /// The start of the row as it is in the file (`RowExcerpt`).
        public var excerpt: String
    }

    /// Calls `body` with every row in order until it returns false. Throws only for whole-file problems
    /// (unreadable file, CSV header without the text column); per-row problems are passed to `body`.
    public func forEachRow(_ body: (Result<TextRecord, RowFailure>) throws -> Bool) throws {
        let input = try ChunkedInput(path: path)
        switch format {
        case .jsonl: try readJSONL(input, body)
        case .csv: try readCSV(input, body)
        }
    }

    /// Every row, in order (see `forEachRow`).
    public func readAll() throws -> [Result<TextRecord, RowFailure>] {
        var out: [Result<TextRecord, RowFailure>] = []
        try forEachRow {
            out.append($0); return true
        }
        return out
    }

    // MARK: JSON lines

    private func readJSONL(_ input: ChunkedInput, _ body: (Result<TextRecord, RowFailure>) throws -> Bool) throws {
        var row = 0
        while let line = try input.nextLine(limit: maxRowBytes, headBytes: RowExcerpt.maxBytes + 4) {
            let result: Result<TextRecord, RowFailure>
            switch line {
            case .bytes(let bytes):
                // Blank lines are not rows.
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                row += 1
                result = bytes.withUnsafeBufferPointer { parseJSONLine($0, row: row) }
            case .tooLong(let count, let head, let blank):
                if blank { continue }
                row += 1
                result = .failure(
                    RowFailure(
                        row: row, problem: .tooManyBytes(bytes: count, limit: maxRowBytes),
                        excerpt: RowExcerpt.of(head, totalBytes: count)))
            }
            guard try body(result) else { return }
        }
    }

    private func parseJSONLine(_ line: UnsafeBufferPointer<UInt8>, row: Int) -> Result<TextRecord, RowFailure> {
        func failure(_ problem: TextRowProblem) -> Result<TextRecord, RowFailure> {
            .failure(RowFailure(row: row, problem: problem, excerpt: RowExcerpt.of(line)))
        }
        guard String(validating: line, as: UTF8.self) != nil else { return failure(.invalidUTF8) }
        if JSONNesting.exceeds(JSONNesting.maxDepth, in: line) {
            return failure(.malformed("JSON nested deeper than \(JSONNesting.maxDepth) levels"))
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])
        } catch {
            return failure(.malformed("not valid JSON"))
        }
        guard let dict = object as? [String: Any] else {
            let kind = object is [Any] ? "an array" : object is String ? "a string" : object is NSNull ? "null" : "a number or boolean"
            return failure(.malformed("a JSON object per line is expected, this line holds \(kind)"))
        }
        guard let textValue = dict[fields.text] else {
            return failure(.missingField(fields.text))
        }
        guard let text = textValue as? String else {
            return failure(.malformed("field '\(fields.text)' is not a string"))
        }
        var label: Int?
        if let labelField = fields.label, let value = dict[labelField], !(value is NSNull) {
            switch parseLabel(value) {
            case .success(let l): label = l
            case .failure(let p): return failure(p)
            }
        }
        var id = "row-\(row)"
        if let idField = fields.id, let value = dict[idField], !(value is NSNull) {
            if let s = value as? String { id = s } else if let n = value as? NSNumber { id = n.stringValue }
        }
        if text.isEmpty { return failure(.emptyText) }
        return .success(TextRecord(row: row, id: id, text: text, label: label))
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

    // MARK: CSV

    private func readCSV(_ input: ChunkedInput, _ body: (Result<TextRecord, RowFailure>) throws -> Bool) throws {
        let scanner = CSVRowScanner(input: input, maxRowBytes: maxRowBytes, headBytes: RowExcerpt.maxBytes + 4)
        guard let headerRow = try scanner.nextRow() else { return }
        let header: [String]
        switch headerRow.content {
        case .fields(let cells): header = cells.map { String(decoding: $0, as: UTF8.self) }
        case .malformed: throw TextInputError(path: path, row: 0, problem: "the CSV header is malformed")
        case .tooLong(let count):
            throw TextInputError(
                path: path, row: 0,
                problem: "the CSV header is \(count) bytes, over the limit of \(maxRowBytes) bytes per row (--max-row-bytes)")
        }
        guard let textColumn = header.firstIndex(of: fields.text) else {
            throw TextInputError(
                path: path, row: 0,
                problem: "no column '\(fields.text)' (columns: \(header.joined(separator: ", "))); choose one with --text-field")
        }
        let labelColumn = fields.label.flatMap { header.firstIndex(of: $0) }
        let idColumn = fields.id.flatMap { header.firstIndex(of: $0) }
        var row = 0
        while let scanned = try scanner.nextRow() {
            row += 1
            func failure(_ problem: TextRowProblem) -> Result<TextRecord, RowFailure> {
                let total: Int? = if case .tooLong(let count) = scanned.content { count } else { nil }
                return .failure(RowFailure(row: row, problem: problem, excerpt: RowExcerpt.of(scanned.head, totalBytes: total)))
            }
            let result: Result<TextRecord, RowFailure>
            switch scanned.content {
            case .tooLong(let count):
                result = failure(.tooManyBytes(bytes: count, limit: maxRowBytes))
            case .malformed(let why):
                result = failure(.malformed(why))
            case .fields(let cells):
                result = record(
                    cells, row: row, header: header, textColumn: textColumn, labelColumn: labelColumn,
                    idColumn: idColumn, failure: failure)
            }
            guard try body(result) else { return }
        }
    }

    private func record(
        _ cells: [[UInt8]], row: Int, header: [String], textColumn: Int, labelColumn: Int?, idColumn: Int?,
        failure: (TextRowProblem) -> Result<TextRecord, RowFailure>
    ) -> Result<TextRecord, RowFailure> {
        guard cells.count == header.count else { return failure(.malformed("\(cells.count) fields, header has \(header.count)")) }
        guard let text = String(validating: cells[textColumn], as: UTF8.self) else { return failure(.invalidUTF8) }
        var label: Int?
        if let c = labelColumn {
            switch parseLabelString(String(decoding: cells[c], as: UTF8.self)) {
            case .success(let l): label = l
            case .failure(let p): return failure(p)
            }
        }
        var id = "row-\(row)"
        if let c = idColumn, !cells[c].isEmpty { id = String(decoding: cells[c], as: UTF8.self) }
        if text.isEmpty { return failure(.emptyText) }
        return .success(TextRecord(row: row, id: id, text: text, label: label))
    }
}
