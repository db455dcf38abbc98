import Foundation

/// The minor-version rule of spec/FORMAT.md §12 for dtypes: a shard's header states the oldest
/// format version that can read it (1.0, or 1.1 for q8). A reader refuses a dtype newer than the
/// version it knows with a message that says so, instead of a JSON decoding error, and a dtype
/// that needs a newer version than the header states is corruption.
enum FormatVersionCheck {
    static func checkDType(metadataJSON json: [UInt8], header: FileHeader, readerMinorVersion: UInt16) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let name = object["dtype"] as? String
        else { return } // the full decode reports it
        let fileVersion = "\(header.major).\(header.minor)"
        let known = StrataDType.allCases.filter { $0.formatMinorVersion <= readerMinorVersion }
        let readerVersion = "\(FileHeader.majorVersion).\(readerMinorVersion)"
        guard let dtype = StrataDType(rawValue: name), known.contains(dtype) else {
            throw StrataError(
                .notAShard,
                "the shard stores dtype \"\(name)\" (format \(fileVersion)), which this reader of format \(readerVersion) "
                    + "does not know (it reads \(known.map(\.rawValue).joined(separator: ", "))); read it with a newer strata",
                offset: FileHeader.size)
        }
        guard dtype.formatMinorVersion <= header.minor else {
            throw StrataError(
                .corrupt,
                "dtype \(name) needs format \(FileHeader.majorVersion).\(dtype.formatMinorVersion) or newer, but the file header says \(fileVersion)",
                offset: 10)
        }
    }
}
