import Testing

@Test func StrataHDF5TestsBuilds() { #expect(Bool(true)) }
