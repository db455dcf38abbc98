import Testing

@Test func StrataCLITestsBuilds() { #expect(Bool(true)) }
