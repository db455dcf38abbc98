import FuzzSupport
import StrataCapture

// Input: one selector byte, then the file. Selector bit 0 picks the format (0: .jsonl, 1: .csv),
// bit 1 supplies label names ("negative", "positive") so class-name labels parse, bit 2 reads the
// text from a column named "sentence" and takes no id column. Every row must come back as a record
// or a row failure, with row numbers 1, 2, 3, ... in order.

private let scratch = ScratchDirectory("text")

@_cdecl("FuzzTextRecords_main")
func fuzzTextRecordsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, LLVMFuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInputBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let path = scratch.write(Array(bytes.dropFirst()), to: selector & 1 == 0 ? "input.jsonl" : "input.csv")
    let fields = selector & 4 == 0 ? TextFields() : TextFields(text: "sentence", label: "label", id: nil)
    let reader = TextRecordReader(path: path, fields: fields, labelNames: selector & 2 == 0 ? nil : ["negative", "positive"])
    guard let rows = try? reader.readAll() else { return 0 }
    for (index, row) in rows.enumerated() {
        let number: Int
        switch row {
        case .success(let record): number = record.row
        case .failure(let failure): number = failure.row
        }
        guard number == index + 1 else { fatalError("row \(index + 1) came back numbered \(number)") }
    }
    return 0
}
