/// A value given for a setting that a library refuses: which setting (in the library's words), the value as
/// given, and why. Library modules report every such refusal with it (each module error has an
/// `invalidSetting` case carrying one, so `catch` on the module's error type still catches it; `SettingError`
/// reaches it from any of them), and the CLI renders it with the setting's flag instead of its name:
///
///     library: invalid value '0' for max tokens: must be at least 1
///     CLI:     --max-tokens 0: must be at least 1
public struct InvalidSetting: Error, Hashable, Sendable, CustomStringConvertible {
    public var setting: SettingName
    /// The value as given; empty when the setting is refused as a whole (set without another it needs).
    public var value: String
    public var reason: SettingText

    public init(_ setting: some LibrarySetting, value: String, _ reason: SettingText) {
        self.setting = setting.name
        self.value = value
        self.reason = reason
    }

    /// The refusal with each setting written by `name`: `NAME VALUE: REASON`, or `NAME: REASON` without a value.
    public func rendered(naming name: (SettingName) -> String) -> String {
        let reasonText = reason.rendered(naming: name)
        return value.isEmpty ? "\(name(setting)): \(reasonText)" : "\(name(setting)) \(value): \(reasonText)"
    }

    public var description: String {
        value.isEmpty ? "\(setting): \(reason)" : "invalid value '\(value)' for \(setting): \(reason)"
    }
}

/// An error that may be a refused setting (each library module's error enum conforms, through its
/// `invalidSetting` case).
public protocol SettingError: Error {
    var invalidSetting: InvalidSetting? { get }
}

extension InvalidSetting: SettingError {
    public var invalidSetting: InvalidSetting? { self }
}
