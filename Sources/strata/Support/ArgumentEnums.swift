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

/// `export-hdf5 --compression`: the HDF5 filter (`deflate` is read as gzip, its HDF5 name).
enum HDF5CompressionChoice: String, CaseIterable, ExpressibleByArgument {
    case zstd, gzip, none

    init?(argument: String) {
        let name = argument.lowercased()
        self.init(rawValue: name == "deflate" ? "gzip" : name)
    }
}

/// `bench format --input`: what the writer is given.
enum BenchWriterInput: String, CaseIterable, ExpressibleByArgument {
    /// Values already in the stored dtype (like the h5py comparison).
    case stored
    /// A forward pass's f32 buffers (conversion included).
    case f32
}

/// `train --threshold`: chosen on validation (`auto`) or a fixed probability in (0, 1).
enum ThresholdChoice: ExpressibleByArgument, Equatable, CustomStringConvertible {
    case auto
    case fixed(Float)

    init?(argument: String) {
        if argument == "auto" { self = .auto; return }
        guard let value = Float(argument), value > 0, value < 1 else { return nil }
        self = .fixed(value)
    }

    var description: String {
        switch self {
        case .auto: return "auto"
        case .fixed(let value): return "\(value)"
        }
    }
}

/// `train --class-weights`: `balanced`, or one positive weight per class.
enum ClassWeightsChoice: ExpressibleByArgument {
    case balanced
    case weights([Float])

    init?(argument: String) {
        if argument == "balanced" { self = .balanced; return }
        let weights = argument.split(separator: ",", omittingEmptySubsequences: false).map {
            Float($0.trimmingCharacters(in: .whitespaces))
        }
        guard !weights.isEmpty, weights.allSatisfy({ ($0 ?? 0) > 0 && $0!.isFinite }) else { return nil }
        self = .weights(weights.map { $0! })
    }
}

/// `split --stratify`: none, label, or meta:KEY.
extension DatasetSplit.Stratify: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}

/// `capture --shard i/n`, refused by the argument parser with the flag's usage when it is not two integers
/// with 0 <= i < n.
extension CaptureShard: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}
