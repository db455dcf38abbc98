import Testing

@Test func StrataTestsBuilds() { #expect(Bool(true)) }
