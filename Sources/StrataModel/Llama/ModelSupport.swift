/// Whether this runtime will run a GGUF file, and if not, why: what `strata gguf-info` reports before anyone
/// waits for a load to fail.
public enum ModelSupport {
    /// Every reason `file` cannot be loaded and tokenized, each naming the key, tensor or value at fault; empty
    /// when it can. Checks the architecture (and that it is dense), the config its metadata describes, the
    /// types of all tensors, and the tokenizer. Tensors missing or of the wrong shape are found only by a load.
    public static func problems(of file: GGUFFile) -> [String] {
        var problems: [String] = []
        do {
            _ = try LlamaConfig(gguf: file)
        } catch {
            problems.append("\(error)")
        }
        let unsupported = Dictionary(grouping: file.tensors.filter { !$0.type.canDequantize }, by: \.type)
        for (type, tensors) in unsupported.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let supported = GGMLType.allCases.filter(\.canDequantize).map(\.name).joined(separator: ", ")
            problems.append(
                "tensor type \(type.name) (\(tensors.count) tensors, e.g. '\(tensors[0].name)') is not supported (supported: \(supported))")
        }
        do {
            _ = try Tokenizer(gguf: file)
        } catch {
            problems.append("\(error)")
        }
        return problems
    }
}
