/// Declares one per-record auxiliary f32 vector (e.g. "next_token_logprobs").
public struct AuxiliaryInfo: Codable, Sendable, Equatable {
    public var name: String
    /// Fixed length of the vector; nil = variable (any length per record).
    public var length: Int?

    public init(name: String, length: Int? = nil) {
        self.name = name
        self.length = length
    }
}

extension Array where Element == AuxiliaryInfo {
    /// Why a record carrying `vectors` breaks these declarations (spec/FORMAT.md §4: exactly the declared
    /// names, the declared length where there is one, at most `StrataLimits.maxAuxiliaryLength` values),
    /// or nil when it does not. Writers refuse such a record; readers report it as corrupt.
    func problem(with vectors: [String: [Float]]) -> String? {
        let declared = Set(map(\.name))
        for name in vectors.keys.sorted() where !declared.contains(name) {
            return "auxiliary vector \"\(name)\" is not declared in the metadata"
        }
        for a in self {
            guard let v = vectors[a.name] else { return "missing auxiliary vector \"\(a.name)\"" }
            if let n = a.length, v.count != n { return "auxiliary vector \"\(a.name)\" has \(v.count) values, expected \(n)" }
            guard v.count <= StrataLimits.maxAuxiliaryLength else { return "auxiliary vector \"\(a.name)\" is too long" }
        }
        return nil
    }
}
