import ArgumentParser

/// `strata bench` — speed measurements of Strata's parts.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of Strata's parts.",
        subcommands: [BenchFormatCommand.self, BenchForwardCommand.self, BenchServeCommand.self])
}
