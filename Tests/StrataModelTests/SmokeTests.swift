import Testing

@Test func StrataModelTestsBuilds() { #expect(Bool(true)) }
