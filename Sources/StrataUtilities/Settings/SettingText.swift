/// Text about settings that names them by `SettingName`, so that each front end renders them its own way: a
/// library user reads the words ("needs max tokens"), the CLI user the flags ("needs --max-tokens"). Written as a
/// string literal with `\(setting: CaptureSetting.maxTokens)` interpolations.
public struct SettingText: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public enum Part: Hashable, Sendable {
        case text(String)
        case setting(SettingName)
    }

    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    /// The text with each setting written by `name`.
    public func rendered(naming name: (SettingName) -> String) -> String {
        parts.map { part in
            switch part {
            case .text(let text): return text
            case .setting(let setting): return name(setting)
            }
        }.joined()
    }

    /// The text with settings in words.
    public var description: String { rendered { $0.words } }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

        public mutating func appendInterpolation(setting: some LibrarySetting) { parts.append(.setting(setting.name)) }

        public mutating func appendInterpolation(_ value: some Any) { parts.append(.text("\(value)")) }
    }
}
