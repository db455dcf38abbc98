/// A setting a library caller chooses (a capture's token limit, a training's memory budget), named in the library's
/// own words ("max tokens"), never as a command-line flag: the library modules are used without the CLI (tests, the
/// Python package, the server), and each front end names a setting its own way.
///
/// Each module lists its settings once, as an enum conforming to `LibrarySetting` (`CaptureSetting`,
/// `ProbeSetting`, `DatasetSetting`, `GenerationSetting`, `ServeSetting`); an error about a setting's value is an
/// `InvalidSetting`, and the CLI maps every module's settings to its flags in one table
/// (`Sources/strata/Support/SettingFlags.swift`).
public struct SettingName: Hashable, Sendable, CustomStringConvertible {
    /// The setting in words, as a sentence names it: "max tokens", "memory budget".
    public let words: String

    public init(_ words: String) { self.words = words }

    public var description: String { words }
}

/// One module's settings, each with its name in words (the raw value).
public protocol LibrarySetting: CaseIterable, Hashable, Sendable {
    var name: SettingName { get }
}

extension LibrarySetting where Self: RawRepresentable, RawValue == String {
    public var name: SettingName { SettingName(rawValue) }
}
