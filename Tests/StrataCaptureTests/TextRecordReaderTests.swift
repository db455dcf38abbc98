import Foundation
import StrataTestSupport
import Testing
@testable import StrataCapture

/// The input files of these tests: one folder for the test process, removed when it exits.
private let inputFolder = Result { try TemporaryDirectories.processLifetime("text-record-inputs") }

private func tempFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = try inputFolder.get().appendingPathComponent(UUID().uuidString + "-" + name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

private func tempFile(_ name: String, _ text: String) throws -> String {
    try tempFile(name, Array(text.utf8))
}

@Test func csvQuotedFieldsNewlinesAndDoubledQuotes() throws {
    let csv = "text,label,source\r\n\"a, \"\"quoted\"\"\nline\",1,imdb\r\nplain,0,rt\n"
    let rows = try TextRecordReader(path: try tempFile("in.csv", csv)).readAll()
    #expect(rows.count == 2)
    #expect(try rows[0].get() == TextRecord(row: 1, id: "row-1", text: "a, \"quoted\"\nline", label: 1))
    #expect(try rows[1].get() == TextRecord(row: 2, id: "row-2", text: "plain", label: 0))
}

@Test func csvRowProblemsCarryRowNumbers() throws {
    var bytes = Array("text,label\nok,1\n,0\ntoo,many,fields\nbad,x\n".utf8)
    bytes += [0xFF, 0xFE] + Array(",1\n\"never closed,1\n".utf8)
    let rows = try TextRecordReader(path: try tempFile("in.csv", bytes)).readAll()
    #expect(rows.count == 6)
    #expect((try? rows[0].get())?.text == "ok")
    let failures = rows.compactMap { r -> TextRecordReader.RowFailure? in
        if case .failure(let f) = r { return f } else { return nil }
    }
    #expect(failures.map(\.row) == [2, 3, 4, 5, 6])
    #expect(failures[0].problem == .emptyText)
    #expect(failures[1].problem == .malformed("3 fields, header has 2"))
    #expect(failures[2].problem == .badLabel("x"))
    #expect(failures[3].problem == .invalidUTF8)
    if case .malformed = failures[4].problem {} else { Issue.record("unterminated quote not reported") }
}

@Test func csvWithoutTextColumnNamesTheColumns() throws {
    let path = try tempFile("in.csv", "review,label\nx,1\n")
    #expect(throws: TextInputError.self) { try TextRecordReader(path: path).readAll() }
    do { _ = try TextRecordReader(path: path).readAll() } catch let e as TextInputError {
        #expect(e.description.contains("no column 'text'"))
        #expect(e.description.contains("review, label"))
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
    ]
    let reader = TextRecordReader(path: try tempFile("in.jsonl", lines.joined(separator: "\n")), labelNames: ["neg", "pos"])
    let rows = try reader.readAll()
    #expect(rows.count == 7)
    #expect(try rows[0].get() == TextRecord(row: 1, id: "a1", text: "héllo 👋", label: 1))
    #expect(try rows[1].get() == TextRecord(row: 2, id: "row-2", text: "no id", label: 0))
    #expect(try rows[2].get().label == 1)
    #expect(throws: TextRecordReader.RowFailure(row: 4, problem: .missingField("text"))) { try rows[3].get() }
    #expect(throws: TextRecordReader.RowFailure(row: 5, problem: .malformed("not a JSON object"))) { try rows[4].get() }
    #expect(throws: TextRecordReader.RowFailure(row: 6, problem: .emptyText)) { try rows[5].get() }
    #expect(try rows[6].get() == TextRecord(row: 7, id: "7", text: "numeric id", label: nil))
}

@Test func jsonlInvalidUTF8IsReportedNotDecoded() throws {
    let bytes = Array(#"{"text":"ok"}"#.utf8) + [0x0A] + Array(#"{"text":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
    let rows = try TextRecordReader(path: try tempFile("in.jsonl", bytes)).readAll()
    #expect(rows.count == 2)
    #expect(throws: TextRecordReader.RowFailure(row: 2, problem: .invalidUTF8)) { try rows[1].get() }
}

@Test func missingFileIsAnError() {
    #expect(throws: TextInputError.self) { try TextRecordReader(path: "/nonexistent/x.jsonl").readAll() }
}
