import ArgumentParser
import Strata
import StrataCapture
import StrataModel
import StrataProbe
import StrataServe
import StrataUtilities

// The one place where a library's settings become this tool's flags. The library modules name a refused
// setting in their own words (`InvalidSetting`: "invalid value '0' for max tokens: must be at least 1"); every
// command's error passes through `SettingFlags.error(for:)` (in `StrataCommand.main`, and the ranks of a
// distributed `train`), which writes it with the flags instead: "--max-tokens 0: must be at least 1".
// The switches are exhaustive, so a setting added to a library without its flag here does not compile.

enum SettingFlags {
    /// The flag that sets `setting`, or nil when none does (the value comes from the data).
    static func flag(_ setting: CaptureSetting) -> String? {
        switch setting {
        case .layers: return "--layers"
        case .maxTokens: return "--max-tokens"
        case .truncate: return "--truncate"
        case .batchTokens: return "--batch-tokens"
        case .maxRowBytes: return "--max-row-bytes"
        case .zstdLevel: return "--zstd-level"
        case .partSize: return "--part-size"
        case .checkpointInterval: return "--checkpoint-interval"
        case .labelNames: return "--label-names"
        case .systemMessage: return "--system"
        case .chatTemplate: return "--chat-template"
        case .workers: return "--workers"
        case .threads: return "--threads"
        case .shard: return "--shard"
        case .outputDirectory: return "--out"
        }
    }

    static func flag(_ setting: ProbeSetting) -> String? {
        switch setting {
        case .probeKind: return "--probe"
        case .layers: return "--layers"
        case .heads: return "--heads"
        case .downcast: return "--downcast"
        case .memoryBudget: return "--memory-budget"
        case .resumedState: return "--resume"
        case .solver: return "--solver"
        case .regularizationGrid: return "--c-grid"
        case .tuning: return "--tune"
        case .tuningBudget: return "--tune-budget"
        case .distributed: return "--distributed"
        case .validationData: return "--val"
        case .classes, .featureWidth, .hidden, .layerPositions, .trainingRecords: return nil
        }
    }

    static func flag(_ setting: DatasetSetting) -> String? {
        switch setting {
        case .recordsPerShard: return "--records-per-shard"
        case .shardSize: return "--shard-size"
        case .splitParts: return "--train/--val/--test"
        case .stratify: return "--stratify"
        case .maxRelativeError: return "--max-rel-error"
        case .append: return "--append"
        }
    }

    static func flag(_ setting: GenerationSetting) -> String? {
        switch setting {
        case .temperature: return "--temperature"
        case .topK: return "--top-k"
        }
    }

    static func flag(_ setting: ServeSetting) -> String? {
        switch setting {
        case .listenAddress: return "--host/--port"
        }
    }

    /// Every library setting's flag, by its name.
    static let flags: [SettingName: String] = {
        var table: [SettingName: String] = [:]
        func add<Setting: LibrarySetting>(_: Setting.Type, _ flag: (Setting) -> String?) {
            for setting in Setting.allCases {
                guard let spelled = flag(setting) else { continue }
                // Two modules may share a word ("layers"), never with different flags.
                precondition(table[setting.name].map { $0 == spelled } ?? true, "'\(setting.name)' has two flags")
                table[setting.name] = spelled
            }
        }
        add(CaptureSetting.self, flag)
        add(ProbeSetting.self, flag)
        add(DatasetSetting.self, flag)
        add(GenerationSetting.self, flag)
        add(ServeSetting.self, flag)
        return table
    }()

    /// How the command line names `setting`: its flag, or its words when no flag sets it.
    static func spelled(_ setting: SettingName) -> String { flags[setting] ?? setting.words }

    /// The message of `error` with settings named by their flags, when it is a refused setting.
    static func message(for error: Error) -> String? {
        guard let refusal = (error as? SettingError)?.invalidSetting else { return nil }
        return refusal.rendered(naming: spelled)
    }

    /// `error` as the command line shows it: a refused setting names its flag; anything else is unchanged.
    static func error(for error: Error) -> Error { message(for: error).map(FlagError.init) ?? error }
}

/// A library's refused setting, written with the flag that set it.
struct FlagError: Error, CustomStringConvertible {
    let description: String
}
