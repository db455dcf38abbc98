import StrataTestSupport
import StrataUtilities
import Testing

/// The half-float codec against the standard library's `Float16` (an independent implementation) and, for
/// bfloat16, against nearest-even rounding computed in `Double` (`referenceBF16`).
@Suite struct HalfFloatTests {
    #if !(os(macOS) && arch(x86_64))
        @Test func f16ToF32MatchesFloat16ForEveryPattern() {
            for bits in 0...UInt16.max {
                let ours = HalfFloat.f16ToF32(bits), theirs = Float(Float16(bitPattern: bits))
                if theirs.isNaN {
                    #expect(ours.isNaN && ours.sign == theirs.sign, "pattern 0x\(String(bits, radix: 16))")
                } else {
                    #expect(ours.bitPattern == theirs.bitPattern, "pattern 0x\(String(bits, radix: 16))")
                }
            }
        }

        @Test func f32ToF16MatchesFloat16() {
            var generator = SplitMix64(state: 2024)
            var samples: [Float] = [
                0, -0, 1, -1, 65504, 65519.99, 65520, -65520, .infinity, -.infinity,
                0x1p-24, 0x1p-25, 0x1p-25 * 1.5, 0x1p-14, 0x1p-15 * 3, 1 + 0x1p-11, 1 + 3 * 0x1p-11,
                .leastNonzeroMagnitude, .greatestFiniteMagnitude
            ]
            for _ in 0..<200_000 {
                // Random bit patterns whose exponents straddle binary16's range.
                let word = generator.next()
                let exponent = UInt32(truncatingIfNeeded: 127 - 30 + Int(word % 50)) << 23
                samples.append(Float(bitPattern: UInt32(truncatingIfNeeded: word >> 32) & 0x807F_FFFF | exponent))
            }
            for value in samples {
                #expect(HalfFloat.f32ToF16(value) == Float16(value).bitPattern, "value \(value)")
            }
            let nan = HalfFloat.f32ToF16(-.nan)
            #expect(nan == 0xFE00)
        }
    #endif

    @Test func f16RoundsToNearestEven() {
        #expect(HalfFloat.f32ToF16(1.0 + 0x1p-11) == 0x3C00) // tie, rounds to even (down)
        #expect(HalfFloat.f32ToF16(1.0 + 3 * 0x1p-11) == 0x3C02) // tie, rounds to even (up)
        #expect(HalfFloat.f32ToF16(65520) == 0x7C00) // rounds up to infinity
        #expect(HalfFloat.f32ToF16(-1e-10) == 0x8000)
        #expect(HalfFloat.f32ToF16(0x1p-25 * 1.5) == 0x0001) // above half the smallest subnormal
        #expect(HalfFloat.f32ToF16(0x1p-25) == 0x0000) // exactly half: ties to even (zero)
    }

    @Test func f16RoundTripsEveryNonNaNPattern() {
        for bits in 0...UInt16.max {
            let value = HalfFloat.f16ToF32(bits)
            if value.isNaN { #expect(HalfFloat.f32ToF16(value) & 0x7C00 == 0x7C00); continue }
            #expect(HalfFloat.f32ToF16(value) == bits, "pattern 0x\(String(bits, radix: 16))")
        }
    }

    @Test func bf16WideningIsTheTopHalfOfTheFloat() {
        for bits in stride(from: 0, through: Int(UInt16.max), by: 7) {
            let h = UInt16(bits)
            #expect(HalfFloat.bf16ToF32(h).bitPattern == UInt32(h) << 16)
        }
    }

    @Test func bf16NarrowingIsNearestEvenInDouble() {
        var generator = SplitMix64(state: 7)
        for _ in 0..<100_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            if value.isNaN {
                #expect(HalfFloat.bf16ToF32(HalfFloat.f32ToBF16(value)).isNaN)
                continue
            }
            #expect(HalfFloat.f32ToBF16(value) == referenceBF16(value), "value \(value)")
        }
    }
}
