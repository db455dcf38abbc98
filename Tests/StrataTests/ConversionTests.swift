import StrataTestSupport
import StrataUtilities
import Testing

@testable import Strata

@Suite struct ConversionTests {
    @Test func f16ToF32MatchesSwiftFloat16ForAllBitPatterns() {
        for h in 0...UInt16.max {
            let ours = StrataConvert.f16ToF32(h)
            let reference = Float(Float16(bitPattern: h))
            if reference.isNaN {
                #expect(ours.isNaN, "NaN pattern \(h)")
            } else {
                #expect(ours.bitPattern == reference.bitPattern, "pattern \(h): \(ours) vs \(reference)")
            }
        }
    }

    @Test func shuffledF16GatherMatchesSwiftFloat16ForAllBitPatterns() {
        // Planes of all 65536 half patterns (+3 to exercise the kernel's scalar tail), through the
        // reader's gather (F16C when the CPU has it, else the Swift loop).
        let n = 65536 + 3
        var planes = [UInt8](repeating: 0, count: 2 * n)
        for i in 0..<n {
            let h = UInt16(truncatingIfNeeded: i)
            planes[i] = UInt8(truncatingIfNeeded: h)
            planes[n + i] = UInt8(truncatingIfNeeded: h >> 8)
        }
        var out = [Float](repeating: 0, count: n)
        planes.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer {
                ByteShuffle.gatherF16(planes: p.baseAddress!, planeStride: n, at: 0, count: n, into: $0.baseAddress!)
            }
        }
        for i in 0..<n {
            let reference = Float(Float16(bitPattern: UInt16(truncatingIfNeeded: i)))
            if reference.isNaN { #expect(out[i].isNaN) } else { #expect(out[i].bitPattern == reference.bitPattern, "pattern \(i)") }
        }
    }

    @Test func f32ToF16MatchesSwiftFloat16RoundToNearestEven() {
        var rng = SplitMix64(state: 7)
        var samples: [Float] = [
            0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e-8, 5.9604645e-8, 2.9802322e-8, 2.9802326e-8,
            6.097555e-5, 6.1035156e-5, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1.0009766, 1.00048828125
        ]
        for _ in 0..<200_000 { samples.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))) }
        // Exact ties around 1.0: halfway between consecutive f16 values.
        for k in 0..<1024 { samples.append(1.0 + (Float(k) + 0.5) / 1024) }
        for f in samples {
            let ours = StrataConvert.f32ToF16(f)
            let reference = Float16(f)
            if reference.isNaN {
                #expect(Float16(bitPattern: ours).isNaN)
            } else {
                #expect(
                    ours == reference.bitPattern,
                    "\(f) (\(String(f.bitPattern, radix: 16))): ours \(String(ours, radix: 16)) vs \(String(reference.bitPattern, radix: 16))"
                )
            }
        }
    }

    @Test func f32ToBF16RoundsToNearestEven() {
        var rng = SplitMix64(state: 11)
        var samples: [Float] = [
            0, -0, 1, -1, 1.00390625, 1.01171875, 3.4028235e38, -3.4028235e38, Float(bitPattern: 0x0001_16C2), .leastNonzeroMagnitude,
            26000, -26000.5
        ]
        for _ in 0..<200_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            if f.isFinite && abs(f) < 3.3e38 { samples.append(f) }
        }
        for f in samples {
            #expect(StrataConvert.f32ToBF16(f) == referenceBF16(f), "\(f)")
        }
        #expect(StrataConvert.f32ToBF16(.infinity) == 0x7F80)
        #expect(StrataConvert.f32ToBF16(-.infinity) == 0xFF80)
        #expect(StrataConvert.bf16ToF32(StrataConvert.f32ToBF16(.nan)).isNaN)
        // Ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 -> even (1); 1 + 3·2^-8 -> 1 + 2^-6.
        #expect(StrataConvert.f32ToBF16(1.00390625) == 0x3F80)
        #expect(StrataConvert.f32ToBF16(1.01171875) == 0x3F82)
    }

    @Test func bulkConversionsAgreeWithScalar() {
        let values = randomValues(10_000, seed: 3, hidden: 100)
        var bf = [UInt16](repeating: 0, count: values.count)
        var h = [UInt16](repeating: 0, count: values.count)
        var back = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            bf.withUnsafeMutableBufferPointer { StrataConvert.f32ToBF16(src, $0) }
            h.withUnsafeMutableBufferPointer { StrataConvert.f32ToF16(src, $0) }
        }
        bf.withUnsafeBufferPointer { s in back.withUnsafeMutableBufferPointer { StrataConvert.bf16ToF32(s, $0) } }
        for i in values.indices { #expect(back[i] == Float(bitPattern: UInt32(referenceBF16(values[i])) << 16)) }
        h.withUnsafeBufferPointer { s in back.withUnsafeMutableBufferPointer { StrataConvert.f16ToF32(s, $0) } }
        for i in values.indices { #expect(back[i] == Float(Float16(values[i]))) }
        // The bulk f32 -> f16 (F16C when present) agrees with the scalar Swift path on tricky values.
        var tricky: [Float] = [
            65504, 65519.99, 65520, -65520, 5.9604645e-8, 2.9802322e-8, 2.9802326e-8, 6.097555e-5, 1.00048828125, .infinity, -0.0
        ]
        for k in 0..<1024 { tricky.append(1.0 + (Float(k) + 0.5) / 1024) }
        var bulk = [UInt16](repeating: 0, count: tricky.count)
        tricky.withUnsafeBufferPointer { src in bulk.withUnsafeMutableBufferPointer { StrataConvert.f32ToF16(src, $0) } }
        for (i, f) in tricky.enumerated() { #expect(bulk[i] == StrataConvert.f32ToF16(f), "\(f)") }
    }
}

@Suite struct ChecksumTests {
    @Test func crc32cKnownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func crc32cIncrementalEqualsWholeAndBitwiseReference() {
        var rng = SplitMix64(state: 5)
        let data = (0..<10_007).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // Bit-at-a-time reference.
        var ref: UInt32 = 0xFFFF_FFFF
        for b in data {
            ref ^= UInt32(b)
            for _ in 0..<8 { ref = (ref & 1) != 0 ? (ref >> 1) ^ 0x82F6_3B78 : ref >> 1 }
        }
        ref = ~ref
        #expect(CRC32C.checksum(data) == ref)
        let split = data.withUnsafeBytes { all in
            CRC32C.update(CRC32C.update(0, UnsafeRawBufferPointer(rebasing: all[0..<3333])), UnsafeRawBufferPointer(rebasing: all[3333...]))
        }
        #expect(split == ref)
    }

    @Test func hardwareAndSoftwarePathsAgreeAtEveryLengthAndAlignment() {
        var rng = SplitMix64(state: 9)
        let data = (0..<4200).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000, 4191 - start] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let software = slice.count == 0 ? 0 : CRC32C.softwareUpdate(0, base: slice.baseAddress!, count: slice.count)
                    #expect(CRC32C.checksum(slice) == software, "start \(start) length \(length) (hardware: \(CRC32C.usesHardware))")
                }
            }
        }
    }
}
