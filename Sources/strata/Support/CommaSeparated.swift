import ArgumentParser

/// A comma-separated list of one argument type (`f32,f16`, `512,32`, `1,2,3`), read by the argument parser,
/// so that a bad item is refused with the flag's usage before the command runs. Never empty.
struct CommaSeparated<Element: ExpressibleByArgument>: ExpressibleByArgument, CustomStringConvertible {
    let values: [Element]

    init(_ values: [Element]) { self.values = values }

    init?(argument: String) {
        var values: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Element(argument: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(value)
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }

    var description: String { values.map(\.defaultValueDescription).joined(separator: ",") }
}
