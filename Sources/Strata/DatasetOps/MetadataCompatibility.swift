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
    public static let comparedFields =
        [
            "hidden", "layers", "dtype", "model", "tokenizer", "layer_semantics",
            "label_names", "auxiliary", "quantization.max_rel_error"
        ]
        + StrataMetadata.PromptKey.all.map { "extra.\($0)" }

    /// The fields every shard of a dataset must share with the manifest's `metadata` (spec/FORMAT.md §11):
    /// readers check them when they open a dataset.
    public static let datasetFields = ["hidden", "layers", "dtype", "auxiliary"]

    /// The first of `fields` (default: `comparedFields`, what `strata merge` requires) on which `a` and
    /// `b` differ, or nil when they agree on all of them.
    public static func firstDifference(
        _ a: StrataMetadata, _ b: StrataMetadata,
        fields: [String] = comparedFields
    ) -> Difference? {
        fields.lazy.compactMap { difference(in: $0, a, b) }.first
    }

    private static func difference(in field: String, _ a: StrataMetadata, _ b: StrataMetadata) -> Difference? {
        func check<T: Encodable & Equatable>(_ x: T, _ y: T) -> Difference? {
            x == y ? nil : Difference(field: field, first: render(x), second: render(y))
        }
        switch field {
        case "hidden": return check(a.hidden, b.hidden)
        case "layers": return check(a.layers, b.layers)
        case "dtype": return check(a.dtype, b.dtype)
        case "model": return checkObject(field, a.model, b.model)
        case "tokenizer": return checkObject(field, a.tokenizer, b.tokenizer)
        case "layer_semantics": return check(a.layerSemantics, b.layerSemantics)
        case "label_names": return check(a.labelNames, b.labelNames)
        case "auxiliary": return check(a.auxiliary, b.auxiliary)
        // A lossy dataset states one error bound for all its shards (the measured figures may differ).
        case "quantization.max_rel_error": return check(a.quantization?.maxRelError, b.quantization?.maxRelError)
        default:
            let key = String(field.dropFirst("extra.".count))
            precondition(field.hasPrefix("extra.") && StrataMetadata.PromptKey.all.contains(key), "not a compared metadata field: \(field)")
            return check(a.extra[key], b.extra[key])
        }
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
            let text = String(data: data, encoding: .utf8)
        else { return "\(value)" }
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
