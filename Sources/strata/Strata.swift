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
}
