import ArgumentParser
import Strata

/// `strata` — the command-line tool. Each subcommand lives in `Commands/`.
@main
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Capture, store, convert, stream and probe LLM hidden states.",
        version: strataToolVersion,
        subcommands: StrataCommand.allSubcommands
    )

    /// As ArgumentParser's `main()`, but a Foundation or POSIX error from any command is printed as
    /// "PATH: cannot write: read-only file system" instead of `NSCocoaErrorDomain Code=642 …`.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: SystemErrorMessage(error) ?? error)
        }
    }
}

/// A Foundation or POSIX error, with the message `SystemErrorText` gives it.
struct SystemErrorMessage: Error, CustomStringConvertible {
    let description: String

    /// nil for errors that are not Foundation's or POSIX's (they keep their own messages).
    init?(_ error: Error) {
        guard SystemErrorText.isSystemError(error) else { return nil }
        description = SystemErrorText.message(for: error)
    }
}
