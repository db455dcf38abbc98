import StrataUtilities
import Testing

/// The one layer-list syntax: keywords, numbers, ranges and `last`, and refusals that say why.
@Suite struct LayerListSyntaxTests {
    @Test func keywords() throws {
        #expect(try LayerListSyntax.parse("all") == .all)
        #expect(try LayerListSyntax.parse(" ALL ") == .all)
        #expect(try LayerListSyntax.parse("none", allowsNone: true) == .none)
        #expect(throws: TextParseError(text: "none", expected: "a layer list", reason: "'none' is not accepted here")) {
            try LayerListSyntax.parse("none")
        }
    }

    @Test func listsKeepOrderAndExpandRanges() throws {
        #expect(try LayerListSyntax.parse("0,5,10") == .items([.number(0), .number(5), .number(10)]))
        #expect(try LayerListSyntax.parse("30, 0-2 ,Last") == .items([.number(30), .number(0), .number(1), .number(2), .last]))
        #expect(try LayerListSyntax.parse("last") == .items([.last]))
        #expect(try LayerListSyntax.parse("3-3,3") == .items([.number(3), .number(3)]))
    }

    @Test(arguments: ["", "1,x", "1,,2", "-1", "2-1", "1-2-3", "+1", "1.5", "0-70000", "٣"])
    func refuses(text: String) {
        #expect(throws: TextParseError.self) { try LayerListSyntax.parse(text, allowsNone: true) }
    }
}
