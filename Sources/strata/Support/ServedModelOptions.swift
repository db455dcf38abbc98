import ArgumentParser
import StrataServe

/// The model flags of the commands that serve a model (`--model`, `--threads`).
struct ServedModelOptions: ParsableArguments {
    @Option(help: "The GGUF model: a path, or a cached model name such as 'smollm2'.") var model: String
    @Option(help: "Forward-pass threads (default: all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func load() throws -> ServedModel { try ServedModel(path: resolveModelPath(model), threads: threads) }
}

/// `NAME=PATH`: a probe checkpoint served under a name (`--probe`).
struct NamedProbe: ExpressibleByArgument {
    let name: String
    let path: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        name = String(argument[..<equals])
        path = String(argument[argument.index(after: equals)...])
        guard !name.isEmpty, !path.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            return nil
        }
    }
}
