import ArgumentParser
import Strata
import StrataModel

/// `strata` — the command-line tool. Each subcommand lives in `Commands/`.
@main
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Capture, store, convert, stream and probe LLM hidden states.",
        version: strataToolVersion,
        subcommands: StrataCommand.allSubcommands
    )

    /// The process owns OpenBLAS's thread count: every command starts with single-threaded products (capture,
    /// training and evaluation parallelise over batches or examples instead, so their bytes do not depend on
    /// `--workers` or `--threads`); the commands that run one forward pass at a time (`hidden`, `classify`,
    /// `generate`, `bench forward`, `bench serve`) raise it to their `--threads`.
    static func main() {
        BLASThreads.set(1)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // A library's refused setting names the flag that set it (`SettingFlags`); a Foundation or POSIX
            // error prints as "PATH: cannot write: read-only file system", not as `NSCocoaErrorDomain Code=642 …`.
            exit(withError: SystemErrorMessage(error) ?? SettingFlags.error(for: error))
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
