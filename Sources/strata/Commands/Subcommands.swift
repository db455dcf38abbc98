import ArgumentParser

extension StrataCommand {
    /// Every subcommand, in the order `--help` lists them. Add new commands here.
    static let allSubcommands: [ParsableCommand.Type] = [
        InspectCommand.self,
        VerifyCommand.self,
        RecoverCommand.self,
        SynthCommand.self,
        FetchModelCommand.self,
        GGUFInfoCommand.self,
        CaptureCommand.self,
        SynthModelCommand.self,
        TokenizeCommand.self,
        TrainCommand.self,
        FeaturesCommand.self,
        EvalCommand.self,
        LayersCommand.self,
        ExportHDF5Command.self,
        ImportHDF5Command.self,
        MergeCommand.self,
        ShardCommand.self,
        ConvertCommand.self,
        SplitCommand.self,
        StreamCommand.self,
        HiddenCommand.self,
        BenchCommand.self,
        ClassifyCommand.self,
        GenerateCommand.self,
        ServeCommand.self
    ]
}
