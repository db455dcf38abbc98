import ArgumentParser
import Foundation
import StrataModel

/// `--model`, shared by every command that reads a GGUF model.
struct ModelOption: ParsableArguments {
    @Option(help: "The GGUF model: a path, or a cached model name such as 'smollm2' (see `strata fetch-model`).")
    var model: String

    /// The file to open: `--model` itself when it exists, else the cached model of that name.
    var path: String { resolveModelPath(model) }
}

/// Resolves a `--model` argument: an existing file path, or a cached model name such as `smollm2`.
func resolveModelPath(_ model: String) -> String {
    FileManager.default.fileExists(atPath: model) ? model : (ModelCache.existingPath(for: model) ?? model)
}
