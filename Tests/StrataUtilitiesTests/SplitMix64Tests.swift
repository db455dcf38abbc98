import StrataUtilities
import Testing

/// SplitMix64 against the published reference (Vigna's splitmix64.c, seed 1234567) and the unit draws
/// against their definition in terms of the raw outputs.
@Suite struct SplitMix64Tests {
    @Test func matchesPublishedVector() {
        var generator = SplitMix64(state: 1_234_567)
        let outputs = (0..<5).map { _ in generator.next() }
        #expect(
            outputs == [
                6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                4_593_380_528_125_082_431, 16_408_922_859_458_223_821
            ])
        #expect(generator.state == 1_234_567 &+ 5 &* 0x9E37_79B9_7F4A_7C15)
    }

    @Test func mixIsTheOutputOfTheNextState() {
        for seed: UInt64 in [0, 1, 42, .max] {
            var generator = SplitMix64(state: seed)
            #expect(generator.next() == SplitMix64.mix(seed &+ SplitMix64.goldenGamma))
        }
    }

    @Test func unitDrawsUseTheTopBitsOfOneOutput() {
        var raw = SplitMix64(state: 99), doubles = SplitMix64(state: 99), floats = SplitMix64(state: 99)
        for _ in 0..<1000 {
            let word = raw.next()
            let double = doubles.nextUnitDouble(), float = floats.nextUnitFloat()
            #expect(double == Double(word >> 11) / 9_007_199_254_740_992.0)
            #expect(float == Float(word >> 40) / 16_777_216)
            #expect((0..<1).contains(double) && (0..<1).contains(float))
        }
        var top = SplitMix64(state: 0)
        #expect(top.nextUnitDouble() < 1)
    }
}
