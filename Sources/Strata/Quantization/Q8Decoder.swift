/// Reads q8 block payloads (spec/FORMAT.md §5.1) back into f32: `code × scale` for every channel,
/// then the outlier channels' bf16 values. `check` runs once per decoded block, before any value
/// is used, so a damaged index can never address memory outside its vector.
enum Q8Decoder {
    /// Why the (shuffled) payload breaks a q8 rule, or nil: a scale that is negative, NaN or
    /// infinite; outlier channels not strictly ascending or not below hidden.
    static func check(_ raw: UnsafePointer<UInt8>, layout: Q8Layout) -> String? {
        let n = layout.vectors, k = layout.outliers, pairs = n * k
        let scales = raw + layout.scalesOffset, indices = raw + layout.indicesOffset
        for v in 0..<n {
            let scale = scaleBits(scales, vectors: n, vector: v)
            guard scale < 0x7F80_0000 else {
                return "q8 vector \(v) has scale \(Float(bitPattern: scale)); scales are finite and not negative"
            }
            var previous = -1
            for j in 0..<k {
                let at = v * k + j
                let channel = Int(indices[at]) | Int(indices[pairs + at]) << 8
                guard channel > previous, channel < layout.hidden else {
                    return
                        "q8 vector \(v) lists outlier channel \(channel) after \(previous); channels are ascending and below hidden \(layout.hidden)"
                }
                previous = channel
            }
        }
        return nil
    }

    /// Writes vectors `first`..<`first + count` of a checked, shuffled payload as f32 to `dst`.
    static func gather(_ raw: UnsafePointer<UInt8>, layout: Q8Layout, first: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let n = layout.vectors, h = layout.hidden, k = layout.outliers, pairs = n * k
        let scales = raw + layout.scalesOffset, indices = raw + layout.indicesOffset
        let outliers = raw + layout.outlierValuesOffset, codes = raw + layout.codesOffset
        for v in first..<(first + count) {
            let scale = Float(bitPattern: scaleBits(scales, vectors: n, vector: v))
            let out = dst + (v - first) * h
            let code = UnsafeRawPointer(codes + v * h).assumingMemoryBound(to: Int8.self)
            for c in 0..<h { out[c] = Float(code[c]) * scale }
            for j in 0..<k {
                let at = v * k + j
                let channel = Int(indices[at]) | Int(indices[pairs + at]) << 8
                out[channel] = StrataConvert.bf16ToF32(UInt16(outliers[at]) | UInt16(outliers[pairs + at]) << 8)
            }
        }
    }

    /// Rearranges an unshuffled payload (sections element-contiguous) into the shuffled form.
    static func shuffle(_ src: UnsafePointer<UInt8>, layout: Q8Layout, into dst: UnsafeMutablePointer<UInt8>) {
        for section in layout.sections {
            ByteShuffle.shuffle(src + section.offset, elements: section.count, width: section.width, into: dst + section.offset)
        }
    }

    @inline(__always)
    private static func scaleBits(_ scales: UnsafePointer<UInt8>, vectors n: Int, vector v: Int) -> UInt32 {
        UInt32(scales[v]) | UInt32(scales[n + v]) << 8 | UInt32(scales[2 * n + v]) << 16 | UInt32(scales[3 * n + v]) << 24
    }
}
