import Foundation

/// Which metadata fields must agree for records to share one dataset, and the first one that
/// differs between two shards. Fields that may differ: tool version, codec settings, and `extra` except
/// the prompt-format keys (`StrataMetadata.PromptKey`: raw texts vs a chat template).
public enum MetadataCompatibility {
    /// A field that differs, with both values as short JSON.
    public struct Difference: Sendable, Equatable {
        public var field: String
        public var first: String
        public var second: String
    }

    /// The compared fields, in the order they are reported. For `model` and `tokenizer` the
    /// differing sub-field is named (e.g. `model.file_sha256`).
    public static let comparedFields = ["hidden", "layers", "dtype", "model", "tokenizer", "layer_semantics",
                                        "label_names", "auxiliary"] + StrataMetadata.PromptKey.all.map { "extra.\($0)" }

    /// The first compared field on which `a` and `b` differ, or nil when they are compatible.
    public static func firstDifference(_ a: StrataMetadata, _ b: StrataMetadata) -> Difference? {
        func check<T: Encodable & Equatable>(_ field: String, _ x: T, _ y: T) -> Difference? {
            x == y ? nil : Difference(field: field, first: render(x), second: render(y))
        }
        let fields: [Difference?] = [
            check("hidden", a.hidden, b.hidden),
            check("layers", a.layers, b.layers),
            check("dtype", a.dtype, b.dtype),
            checkObject("model", a.model, b.model),
            checkObject("tokenizer", a.tokenizer, b.tokenizer),
            check("layer_semantics", a.layerSemantics, b.layerSemantics),
            check("label_names", a.labelNames, b.labelNames),
            check("auxiliary", a.auxiliary, b.auxiliary),
        ]
        if let difference = fields.lazy.compactMap({ $0 }).first { return difference }
        for key in StrataMetadata.PromptKey.all {
            if let difference = check("extra.\(key)", a.extra[key], b.extra[key]) { return difference }
        }
        return nil
    }

    /// Compares two optional JSON objects key by key and names the first differing key.
    static func checkObject<T: Encodable & Equatable>(_ field: String, _ x: T?, _ y: T?) -> Difference? {
        guard x != y else { return nil }
        guard let x, let y, let left = jsonObject(x), let right = jsonObject(y) else {
            return Difference(field: field, first: render(x), second: render(y))
        }
        for key in Set(left.keys).union(right.keys).sorted() {
            let l = left[key].map { fragment($0) } ?? "none"
            let r = right[key].map { fragment($0) } ?? "none"
            if l != r { return Difference(field: "\(field).\(key)", first: l, second: r) }
        }
        return Difference(field: field, first: render(x), second: render(y))
    }

    private static func jsonObject<T: Encodable>(_ value: T) -> [String: Any]? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    private static func fragment(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "\(value)" }
        return text
    }

    /// Compact, key-sorted JSON of a value ("none" for nil), shortened for messages.
    static func render<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return "\(value)" }
        if text == "null" { return "none" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
