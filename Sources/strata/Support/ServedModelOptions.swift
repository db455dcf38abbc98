import ArgumentParser
import StrataServe

/// The model flags of the commands that run a model's forward pass (`--model`, `--threads`): serve,
/// generate, classify, bench-serve, hidden.
struct ServedModelOptions: ParsableArguments {
    @OptionGroup var modelOption: ModelOption
    @Option(help: "Forward-pass threads (default: all cores).") var threads: Int?

    var model: String { modelOption.model }
    var path: String { modelOption.path }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func load() throws -> ServedModel { try ServedModel(path: path, threads: threads) }
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
