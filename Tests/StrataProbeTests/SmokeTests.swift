import Testing

@Test func StrataProbeTestsBuilds() { #expect(Bool(true)) }
