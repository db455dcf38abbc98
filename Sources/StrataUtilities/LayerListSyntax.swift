import Foundation

/// The one syntax of a list of layers on the command line (`--layers`, `--layer-positions`):
///
/// - `all`; `none` where a command can decode no layer at all;
/// - otherwise a comma list of non-negative integers, inclusive ranges `a-b` and `last`.
///
/// What a number means (a hidden-state index or a position in a dataset's layer list) and what `last`
/// stands for is the caller's to resolve; this type only reads the text. Case-insensitive, spaces allowed
/// around items.
package enum LayerListSyntax: Sendable, Equatable {
    case all
    case none
    /// In the order given; ranges expanded, duplicates kept (callers decide whether they matter).
    case items([Item])

    package enum Item: Sendable, Equatable {
        case number(Int)
        case last
    }

    /// Why a text is not a layer list.
    package static func parseError(_ text: String, _ reason: String) -> TextParseError {
        TextParseError(text: text, expected: "a layer list", reason: reason)
    }

    /// The longest range accepted (a typo like `0-99999999` must not allocate without bound).
    package static let maximumRangeLength = 1 << 16

    /// Parses `text`; `none` is accepted only when `allowsNone`.
    package static func parse(_ text: String, allowsNone: Bool = false) throws -> LayerListSyntax {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "all" { return .all }
        if trimmed == "none" {
            guard allowsNone else { throw Self.parseError(text, "'none' is not accepted here") }
            return .none
        }
        let expected =
            "expected \(allowsNone ? "all, none" : "all") or a comma list of numbers, ranges and 'last' such as 0,5,10 or 0-4,last"
        var items: [Item] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item == "last" {
                items.append(.last)
            } else if let number = Self.number(item) {
                items.append(.number(number))
            } else {
                let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count == 2, let low = Self.number(bounds[0]), let high = Self.number(bounds[1]), low <= high else {
                    throw Self.parseError(
                        text, item.isEmpty ? "an empty item (\(expected))" : "'\(item)' is not a number, range or 'last' (\(expected))")
                }
                guard high - low < maximumRangeLength else {
                    throw Self.parseError(text, "the range \(item) is longer than \(maximumRangeLength) layers")
                }
                items += (low...high).map(Item.number)
            }
        }
        return .items(items)
    }

    private static func number<S: StringProtocol>(_ text: S) -> Int? {
        let digits = text.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
