import ArgumentParser

extension StrataCommand {
    /// Every subcommand, in the order `--help` lists them. Add new commands here.
    static let allSubcommands: [ParsableCommand.Type] = [
        FetchModelCommand.self,
        GGUFInfoCommand.self,
        TokenizeCommand.self,
        HiddenCommand.self,
        BenchCommand.self,
    ]
}
