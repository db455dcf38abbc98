import Foundation
import StrataTestSupport
import Testing

@testable import StrataCapture

/// Runs `body` with the path of a file named `name` holding `bytes`, in a temporary directory that is
/// removed afterwards on every path.
private func withFile<T>(_ name: String, _ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
    try withTemporaryDirectory { dir in
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try body(path)
    }
}

private func withFile<T>(_ name: String, _ text: String, _ body: (String) throws -> T) throws -> T {
    try withFile(name, Array(text.utf8), body)
}

private func failures(_ rows: [Result<TextRecord, TextRecordReader.RowFailure>]) -> [TextRecordReader.RowFailure] {
    rows.compactMap { if case .failure(let f) = $0 { f } else { nil } }
}

@Test func csvQuotedFieldsNewlinesAndDoubledQuotes() throws {
    let csv = "text,label,source\r\n\"a, \"\"quoted\"\"\nline\",1,imdb\r\nplain,0,rt\n"
    let rows = try withFile("in.csv", csv) { try TextRecordReader(path: $0).readAll() }
    #expect(rows.count == 2)
    #expect(try rows[0].get() == TextRecord(row: 1, id: "row-1", text: "a, \"quoted\"\nline", label: 1))
    #expect(try rows[1].get() == TextRecord(row: 2, id: "row-2", text: "plain", label: 0))
}

@Test func csvRowProblemsCarryRowNumbersAndExcerpts() throws {
    var bytes = Array("text,label\nok,1\n,0\ntoo,many,fields\nbad,x\n".utf8)
    bytes += [0xFF, 0xFE] + Array(",1\n\"never closed,1\n".utf8)
    let rows = try withFile("in.csv", bytes) { try TextRecordReader(path: $0).readAll() }
    #expect(rows.count == 6)
    #expect((try? rows[0].get())?.text == "ok")
    let failures = failures(rows)
    #expect(failures.map(\.row) == [2, 3, 4, 5, 6])
    #expect(failures[0].problem == .emptyText)
    #expect(failures[1].problem == .malformed("3 fields, header has 2"))
    #expect(failures[2].problem == .badLabel("x"))
    #expect(failures[3].problem == .invalidUTF8)
    if case .malformed = failures[4].problem {} else { Issue.record("unterminated quote not reported") }
    // Line ends are not part of a row (the last row's "\n" is inside its unterminated quotes).
    #expect(failures.map(\.excerpt) == [",0", "too,many,fields", "bad,x", "\u{FFFD}\u{FFFD},1", "\"never closed,1\\n"])
}

@Test func csvWithoutTextColumnNamesTheColumns() throws {
    try withFile("in.csv", "review,label\nx,1\n") { path in
        #expect(throws: TextInputError.self) { try TextRecordReader(path: path).readAll() }
        do { _ = try TextRecordReader(path: path).readAll() } catch let e as TextInputError {
            #expect(e.description.contains("no column 'text'"))
            #expect(e.description.contains("review, label"))
        }
    }
}

@Test func jsonlFieldsIdsLabelsAndProblems() throws {
    let lines = [
        #"{"id":"a1","text":"héllo 👋","label":1}"#,
        "",
        #"{"text":"no id","label":"0"}"#,
        #"{"text":"named","label":"pos"}"#,
        #"{"label":1}"#,
        #"not json"#,
        #"{"text":"","label":0}"#,
        #"{"id":7,"text":"numeric id","label":null}"#,
        #"["an","array"]"#
    ]
    let rows = try withFile("in.jsonl", lines.joined(separator: "\n")) {
        try TextRecordReader(path: $0, labelNames: ["neg", "pos"]).readAll()
    }
    #expect(rows.count == 8)
    #expect(try rows[0].get() == TextRecord(row: 1, id: "a1", text: "héllo 👋", label: 1))
    #expect(try rows[1].get() == TextRecord(row: 2, id: "row-2", text: "no id", label: 0))
    #expect(try rows[2].get().label == 1)
    #expect(throws: TextRecordReader.RowFailure(row: 4, problem: .missingField("text"), excerpt: #"{"label":1}"#)) { try rows[3].get() }
    #expect(throws: TextRecordReader.RowFailure(row: 5, problem: .malformed("not valid JSON"), excerpt: "not json")) { try rows[4].get() }
    #expect(throws: TextRecordReader.RowFailure(row: 6, problem: .emptyText, excerpt: #"{"text":"","label":0}"#)) { try rows[5].get() }
    #expect(try rows[6].get() == TextRecord(row: 7, id: "7", text: "numeric id", label: nil))
    #expect(
        throws: TextRecordReader.RowFailure(
            row: 8, problem: .malformed("a JSON object per line is expected, this line holds an array"),
            excerpt: #"["an","array"]"#)
    ) { try rows[7].get() }
}

@Test func jsonlInvalidUTF8IsReportedNotDecoded() throws {
    let bytes = Array(#"{"text":"ok"}"#.utf8) + [0x0A] + Array(#"{"text":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
    let rows = try withFile("in.jsonl", bytes) { try TextRecordReader(path: $0).readAll() }
    #expect(rows.count == 2)
    #expect(failures(rows).map(\.row) == [2])
    #expect(failures(rows).first?.problem == .invalidUTF8)
}

@Test func missingFileIsAnError() {
    #expect(throws: TextInputError.self) { try TextRecordReader(path: "/nonexistent/x.jsonl").readAll() }
}

/// A line much longer than the limit (and than the reader's 1 MiB chunks) is one `tooManyBytes` row with
/// its exact length; the rows around it keep their numbers and contents.
@Test func jsonlRowsOverTheByteLimitAreSkippedWithTheirLength() throws {
    let long = #"{"id":"big","text":""# + String(repeating: "é", count: 1_500_000) + #""}"#
    let lines = [#"{"id":"a","text":"before"}"#, long, "   ", #"{"id":"b","text":"after"}"#]
    let rows = try withFile("in.jsonl", lines.joined(separator: "\r\n") + "\r\n") {
        try TextRecordReader(path: $0, maxRowBytes: 1000).readAll()
    }
    #expect(rows.count == 3)
    #expect(try rows[0].get() == TextRecord(row: 1, id: "a", text: "before", label: nil))
    let failure = try #require(failures(rows).first)
    #expect(failure.row == 2)
    // The "\r" before "\n" is counted with the over-long line.
    #expect(failure.problem == .tooManyBytes(bytes: long.utf8.count + 1, limit: 1000))
    #expect(failure.excerpt == #"{"id":"big","text":""# + String(repeating: "é", count: 30) + "…")
    #expect(try rows[2].get() == TextRecord(row: 3, id: "b", text: "after", label: nil))
    // A row exactly at the limit is read.
    let exact = #"{"text":"12345"}"#
    let atLimit = try withFile("in.jsonl", exact) { try TextRecordReader(path: $0, maxRowBytes: exact.utf8.count).readAll() }
    #expect(try atLimit[0].get().text == "12345")
}

/// In CSV a quoted field may hold newlines: an over-long row ends where the quotes say, not at the first
/// newline.
@Test func csvRowsOverTheByteLimitAreSkippedToTheirRealEnd() throws {
    let quoted = "\"" + String(repeating: "line\n", count: 400) + "\""
    let csv = "text,label\nfirst,0\n\(quoted),1\nlast,1\n"
    let rows = try withFile("in.csv", csv) { try TextRecordReader(path: $0, maxRowBytes: 100).readAll() }
    #expect(rows.count == 3)
    #expect(try rows[0].get() == TextRecord(row: 1, id: "row-1", text: "first", label: 0))
    #expect(failures(rows).map(\.row) == [2])
    #expect(failures(rows).first?.problem == .tooManyBytes(bytes: quoted.utf8.count + 2, limit: 100))
    #expect(try rows[2].get() == TextRecord(row: 3, id: "row-3", text: "last", label: 1))
    #expect(throws: TextInputError.self) {
        try withFile("in.csv", "text," + String(repeating: "x", count: 200) + "\nok,\n") {
            try TextRecordReader(path: $0, maxRowBytes: 100).readAll()
        }
    }
}

/// Nesting deeper than JSONSerialization's 512 levels is named as such (and never reaches the parser);
/// brackets inside strings do not count.
@Test func jsonlNestingTooDeepIsNamed() throws {
    func nested(_ depth: Int) -> String {
        #"{"text":"t","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
    }
    let lines = [nested(100_000), nested(512), nested(511), #"{"text":"[[[[ \"{{{{"}"#]
    let rows = try withFile("in.jsonl", lines.joined(separator: "\n")) { try TextRecordReader(path: $0, maxRowBytes: 1 << 20).readAll() }
    let deep = TextRowProblem.malformed("JSON nested deeper than 512 levels")
    #expect(failures(rows).map(\.row) == [1, 2])
    #expect(failures(rows).allSatisfy { $0.problem == deep })
    #expect(try rows[2].get().text == "t")
    #expect(try rows[3].get().text == #"[[[[ "{{{{"#)
}

/// Lines split across chunk boundaries come back whole: the reader against `split` on the same bytes.
@Test func chunkedLinesEqualSplittingTheWholeFile() throws {
    let text = (0..<50).map { i in String(repeating: "ab\u{e9}", count: i % 9) + "\(i)" }.joined(separator: "\n") + "\n\nlast"
    try withFile("in.txt", text) { path in
        for chunk in [1, 2, 3, 7, 64] {
            let input = try ChunkedInput(path: path, chunkBytes: chunk)
            var lines: [[UInt8]] = []
            while let line = try input.nextLine(limit: 1 << 20, headBytes: 8) {
                guard case .bytes(let bytes) = line else { Issue.record("unexpected over-long line"); break }
                lines.append(bytes)
            }
            #expect(lines == text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }, "chunk \(chunk)")
        }
    }
}

@Test func excerptsAreShortPrintableAndCutAtCharacters() {
    #expect(RowExcerpt.of(Array("a\tb\nc\u{1}".utf8)) == "a\\tb\\nc\\u{1}")
    let long = String(repeating: "x", count: 79) + "é" + "tail"
    #expect(RowExcerpt.of(Array(long.utf8)) == String(repeating: "x", count: 79) + "…")
    #expect(RowExcerpt.of(text: String(repeating: "é", count: 40)) == String(repeating: "é", count: 40))
    #expect(RowExcerpt.of(text: String(repeating: "é", count: 41)) == String(repeating: "é", count: 40) + "…")
}
