import ArgumentParser

extension StrataCommand {
    /// Every subcommand, in the order `--help` lists them. Add new commands here.
    static let allSubcommands: [ParsableCommand.Type] = [
        InspectCommand.self,
        VerifyCommand.self,
        RecoverCommand.self,
        SynthCommand.self,
        BenchFormatCommand.self,
        TrainCommand.self,
        EvalCommand.self,
        LayersCommand.self,
        BenchProbesCommand.self,
    ]
}
