/// Why a piece of command-line text is not the value it should be (a size, a layer list): the text, what it
/// should have been, and why it is not.
package struct TextParseError: Error, Equatable, CustomStringConvertible {
    package var text: String
    package var expected: String
    package var reason: String

    package init(text: String, expected: String, reason: String) {
        self.text = text
        self.expected = expected
        self.reason = reason
    }

    package var description: String { "'\(text)' is not \(expected): \(reason)" }
}
