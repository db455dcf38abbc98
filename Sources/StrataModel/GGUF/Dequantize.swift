import StrataUtilities

/// Block decoders for the GGML quantisation formats Strata reads.
///
/// Each decoder turns `blocks` consecutive blocks at `source` into `blocks × blockSize`
/// floats at `out`, computing in the same order as ggml's reference `dequantize_row_*`
/// (and gguf-py's `dequantize`) so results are bit-identical.

/// Dequantises `count` consecutive elements of `type` at `source` into `into`.
///
/// `count` must be a multiple of the type's block size; `source` must hold
/// `type.byteCount(elements: count)` readable bytes (no alignment needed).
public func dequantizeRow(type: GGMLType, source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) throws {
    try type.requireDequantizable()
    guard count >= 0, count % type.blockSize == 0 else {
        throw GGUFError(
            .malformed, file: "", "cannot dequantise \(count) elements of \(type.name): not a multiple of the block size \(type.blockSize)")
    }
    let src = source.assumingMemoryBound(to: UInt8.self)
    let blocks = count / type.blockSize
    switch type {
    case .f32: UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 4)
    case .f16: GGMLDecode.f16(src, count, out)
    case .bf16: GGMLDecode.bf16(src, count, out)
    case .q8_0: GGMLDecode.q8_0(src, blocks, out)
    case .q4_0: GGMLDecode.q4_0(src, blocks, out)
    case .q4_1: GGMLDecode.q4_1(src, blocks, out)
    case .q5_0: GGMLDecode.q5_0(src, blocks, out)
    case .q5_1: GGMLDecode.q5_1(src, blocks, out)
    case .q4_K: GGMLDecode.q4_K(src, blocks, out)
    case .q5_K: GGMLDecode.q5_K(src, blocks, out)
    case .q6_K: GGMLDecode.q6_K(src, blocks, out)
    default: break // unreachable: guarded by canDequantize
    }
}

extension GGMLType {
    /// Throws an `.unsupportedType` error naming this type unless `dequantizeRow` supports it.
    public func requireDequantizable() throws {
        guard canDequantize else {
            let supported = GGMLType.allCases.filter(\.canDequantize).map(\.name).joined(separator: ", ")
            throw GGUFError(
                .unsupportedType, file: "",
                "dequantising \(name) (ggml type \(rawValue)) is not supported (supported: \(supported))")
        }
    }
}

/// The per-format block decoders (tight loops over raw bytes; little-endian fields).
enum GGMLDecode {
    @inline(__always)
    static func half(_ p: UnsafePointer<UInt8>) -> Float {
        HalfFloat.f16ToF32(UInt16(p[0]) | UInt16(p[1]) << 8)
    }

    static func f16(_ src: UnsafePointer<UInt8>, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { out[i] = half(src + 2 * i) }
    }

    static func bf16(_ src: UnsafePointer<UInt8>, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            out[i] = Float(bitPattern: (UInt32(src[2 * i]) | UInt32(src[2 * i + 1]) << 8) << 16)
        }
    }

    /// Q8_0: f16 scale d, 32 × int8; y = q·d.
    static func q8_0(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let p = src + b * 34, y = out + b * 32
            let d = half(p)
            for j in 0..<32 { y[j] = Float(Int8(bitPattern: p[2 + j])) * d }
        }
    }

    /// Q4_0: f16 d, 16 bytes of nibbles (low nibbles: elements 0–15, high: 16–31); y = d·(q−8).
    static func q4_0(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let p = src + b * 18, y = out + b * 32
            let d = half(p), qs = p + 2
            for j in 0..<16 {
                y[j] = d * Float(Int32(qs[j] & 0x0F) - 8)
                y[j + 16] = d * Float(Int32(qs[j] >> 4) - 8)
            }
        }
    }

    /// Q4_1: f16 d, f16 m, 16 bytes of nibbles; y = d·q + m.
    static func q4_1(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let p = src + b * 20, y = out + b * 32
            let d = half(p), m = half(p + 2), qs = p + 4
            for j in 0..<16 {
                y[j] = d * Float(qs[j] & 0x0F) + m
                y[j + 16] = d * Float(qs[j] >> 4) + m
            }
        }
    }

    /// For each byte value b, eight bytes where byte i is 16 when bit i of b is set (0 otherwise):
    /// spreads a byte of Q5 "fifth bits" into the high bit of eight 5-bit values at once.
    static let fifthBitSpread: [UInt64] = (0..<256).map { (byte: Int) -> UInt64 in
        var spread: UInt64 = 0
        for bit in 0..<8 where (byte >> bit) & 1 == 1 {
            spread |= UInt64(0x10) << UInt64(8 * bit)
        }
        return spread
    }

    /// Calls `body` with a 32-byte scratch buffer and a function that fills it with the fifth bits of a
    /// Q5 block (byte j = 16 · bit j of the little-endian u32 at `qh`).
    @inline(__always)
    static func withFifthBits(_ body: (UnsafeMutableRawPointer, (UnsafePointer<UInt8>) -> Void) -> Void) {
        fifthBitSpread.withUnsafeBufferPointer { spread in
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8)
            defer { scratch.deallocate() }
            body(scratch) { qh in
                for i in 0..<4 { scratch.storeBytes(of: spread[Int(qh[i])], toByteOffset: 8 * i, as: UInt64.self) }
            }
        }
    }

    /// Q5_0: f16 d, u32 of fifth bits, 16 bytes of nibbles; y = d·(q−16).
    static func q5_0(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        withFifthBits { high, fill in
            for b in 0..<blocks {
                let p = src + b * 22, y = out + b * 32
                let d = half(p), qs = p + 6
                fill(p + 2)
                for j in 0..<16 {
                    let lo = (qs[j] & 0x0F) | high.load(fromByteOffset: j, as: UInt8.self)
                    let hi = (qs[j] >> 4) | high.load(fromByteOffset: j + 16, as: UInt8.self)
                    y[j] = d * Float(Int32(lo) - 16)
                    y[j + 16] = d * Float(Int32(hi) - 16)
                }
            }
        }
    }

    /// Q5_1: f16 d, f16 m, u32 of fifth bits, 16 bytes of nibbles; y = d·q + m.
    static func q5_1(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        withFifthBits { high, fill in
            for b in 0..<blocks {
                let p = src + b * 24, y = out + b * 32
                let d = half(p), m = half(p + 2), qs = p + 8
                fill(p + 4)
                for j in 0..<16 {
                    let lo = (qs[j] & 0x0F) | high.load(fromByteOffset: j, as: UInt8.self)
                    let hi = (qs[j] >> 4) | high.load(fromByteOffset: j + 16, as: UInt8.self)
                    y[j] = d * Float(lo) + m
                    y[j + 16] = d * Float(hi) + m
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0–7) from the 12 packed bytes of a Q4_K/Q5_K block.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ s: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (s[j] & 63, s[j + 4] & 63)
        }
        return ((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4))
    }

    /// The scales and mins of 32-element group `group` (0–3) of a Q4_K/Q5_K block: sub-blocks 2·group
    /// (low nibbles) and 2·group + 1 (high nibbles), each y = d·q − min.
    @inline(__always)
    static func groupScalesK4(
        _ group: Int, d: Float, dmin: Float, _ scales: UnsafePointer<UInt8>
    ) -> (d0: Float, min0: Float, d1: Float, min1: Float) {
        let (sc0, m0) = scaleMinK4(2 * group, scales)
        let (sc1, m1) = scaleMinK4(2 * group + 1, scales)
        return (d * Float(sc0), dmin * Float(m0), d * Float(sc1), dmin * Float(m1))
    }

    /// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles (8 sub-blocks of 32).
    /// Each 32-byte group holds two sub-blocks: low nibbles then high nibbles. y = (d·sc)·q − dmin·m.
    static func q4_K(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let p = src + b * 144, y = out + b * 256
            let d = half(p), dmin = half(p + 2), scales = p + 4, qs = p + 16
            for group in 0..<4 {
                let (d0, min0, d1, min1) = groupScalesK4(group, d: d, dmin: dmin, scales)
                let q = qs + 32 * group, y0 = y + 64 * group
                for l in 0..<32 {
                    y0[l] = d0 * Float(q[l] & 0x0F) - min0
                    y0[l + 32] = d1 * Float(q[l] >> 4) - min1
                }
            }
        }
    }

    /// Q5_K: like Q4_K plus 32 bytes of fifth bits (bit s of byte l belongs to sub-block s, element l).
    static func q5_K(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let p = src + b * 176, y = out + b * 256
            let d = half(p), dmin = half(p + 2), scales = p + 4, qh = p + 16, qs = p + 48
            for group in 0..<4 {
                let (d0, min0, d1, min1) = groupScalesK4(group, d: d, dmin: dmin, scales)
                let q = qs + 32 * group, y0 = y + 64 * group
                let mask0 = UInt8(1) << UInt8(2 * group), mask1 = UInt8(1) << UInt8(2 * group + 1)
                for l in 0..<32 {
                    // A mask test instead of a variable shift keeps the loop vectorisable.
                    let lo = (q[l] & 0x0F) | (qh[l] & mask0 == 0 ? 0 : 16)
                    let hi = (q[l] >> 4) | (qh[l] & mask1 == 0 ? 0 : 16)
                    y0[l] = d0 * Float(lo) - min0
                    y0[l + 32] = d1 * Float(hi) - min1
                }
            }
        }
    }

    /// Q6_K: 128 bytes low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, f16 d. y = (d·sc)·(q−32).
    /// Each half-block (128 elements) has four 32-element quarters: element l of quarter k takes its low
    /// nibble from ql[l + 32·(k & 1)] (high nibble for k ≥ 2) and its top bits from qh[l] >> 2k;
    /// one scale per 16 elements (computed once, the same float32 product ggml uses per element).
    static func q6_K(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let p = src + b * 210
            let d = half(p + 208)
            for halfIndex in 0..<2 {
                let ql = p + 64 * halfIndex, qh = p + 128 + 32 * halfIndex, sc = p + 192 + 8 * halfIndex
                let y = out + b * 256 + 128 * halfIndex
                for part in 0..<2 {
                    let s0 = d * Float(Int8(bitPattern: sc[part])), s1 = d * Float(Int8(bitPattern: sc[part + 2]))
                    let s2 = d * Float(Int8(bitPattern: sc[part + 4])), s3 = d * Float(Int8(bitPattern: sc[part + 6]))
                    for l in 16 * part..<16 * part + 16 {
                        let q0 = Int32((ql[l] & 0x0F) | (qh[l] & 3) << 4) - 32
                        let q1 = Int32((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) - 32
                        let q2 = Int32((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32
                        let q3 = Int32((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32
                        y[l] = s0 * Float(q0)
                        y[l + 32] = s1 * Float(q1)
                        y[l + 64] = s2 * Float(q2)
                        y[l + 96] = s3 * Float(q3)
                    }
                }
            }
        }
    }
}
