import ArgumentParser
import Strata
import StrataCapture
import StrataHDF5
import StrataProbe

// Options whose values are a fixed set are parsed straight into these enums: a bad value is refused by
// the argument parser with the command's usage and the list of allowed values, and `--help` shows them.
// (String raw values + CaseIterable give `init?(argument:)` and `allValueStrings`.)

extension ProbeKind: ExpressibleByArgument {}
extension PoolMode: ExpressibleByArgument {}
extension InputNormalization: ExpressibleByArgument {}
extension SelectionMetric: ExpressibleByArgument {}
extension ProbeSolver: ExpressibleByArgument {}
extension StrataDType: ExpressibleByArgument {}
extension ShardPlacementMode: ExpressibleByArgument {}
extension BadRowPolicy: ExpressibleByArgument {}
extension CaptureOptions.DryRun: ExpressibleByArgument {}
extension HDF5ExportLayout: ExpressibleByArgument {}

/// A cache or similar optimisation that a command uses when it pays (`auto`) or never (`off`).
enum AutoOrOff: String, CaseIterable, ExpressibleByArgument {
    case auto, off
}
