import Foundation
import Strata

/// Decoded record values kept in memory after their first read, in the dataset's stored dtype
/// (f16/bf16 as 16-bit patterns, f32 and q8's f32 reconstructions as is), so later epochs skip zstd decoding and convert to
/// f32 only. Values that came from the stored dtype convert back to it exactly, so a cached
/// read returns the same f32 values bit for bit.
///
/// Thread-safe: the stream's prefetch threads fill and read it concurrently. One layer list is
/// cached (the first one asked for); reads of other layer lists bypass the cache.
public final class DecodedRecordCache: @unchecked Sendable {
    public let dtype: StrataDType
    private let lock = NSLock()
    private var halves: [[UInt16]?]
    private var floats: [[Float]?]
    private var layers: [Int]??
    public private(set) var storedBytes = 0

    /// Bytes needed to cache records with `tokenCounts` tokens, `layers` layers of `hidden` values.
    public static func byteCount(tokenCounts: [Int], layers: Int, hidden: Int, dtype: StrataDType) -> Int {
        tokenCounts.reduce(0, +) * layers * hidden * (keepsFloats(dtype) ? 4 : 2)
    }

    /// f32 and the lossy dtypes (whose reconstructions no 16-bit type holds exactly) are kept as f32.
    private static func keepsFloats(_ dtype: StrataDType) -> Bool { dtype == .f32 || dtype.isLossy }

    public init(records: Int, dtype: StrataDType) {
        self.dtype = dtype
        halves = Self.keepsFloats(dtype) ? [] : Array(repeating: nil, count: records)
        floats = Self.keepsFloats(dtype) ? Array(repeating: nil, count: records) : []
    }

    private func accepts(_ requested: [Int]?) -> Bool {
        if let layers { return layers == requested }
        layers = .some(requested)
        return true
    }

    /// Fills `buffer` from the cache; false when record `i` (with these layers) is not cached.
    func read(_ i: Int, layers requested: [Int]?, into buffer: UnsafeMutableBufferPointer<Float>) -> Bool {
        lock.lock()
        guard accepts(requested) else { lock.unlock(); return false }
        let h = halves.isEmpty ? nil : halves[i], f = floats.isEmpty ? nil : floats[i]
        lock.unlock()
        if let f, f.count == buffer.count {
            _ = buffer.update(fromContentsOf: f)
            return true
        }
        guard let h, h.count == buffer.count else { return false }
        h.withUnsafeBufferPointer { src in
            if dtype == .bf16 { StrataConvert.bf16ToF32(src, buffer) } else { StrataConvert.f16ToF32(src, buffer) }
        }
        return true
    }

    /// Keeps record `i`'s freshly decoded values.
    func store(_ i: Int, layers requested: [Int]?, from buffer: UnsafeMutableBufferPointer<Float>) {
        var h: [UInt16]?, f: [Float]?
        switch dtype {
        case .f32, .q8: f = Array(buffer)
        case .f16, .bf16:
            var out = [UInt16](repeating: 0, count: buffer.count)
            out.withUnsafeMutableBufferPointer { dst in
                if dtype == .bf16 {
                    StrataConvert.f32ToBF16(UnsafeBufferPointer(buffer), dst)
                } else {
                    StrataConvert.f32ToF16(UnsafeBufferPointer(buffer), dst)
                }
            }
            h = out
        }
        lock.lock(); defer { lock.unlock() }
        guard accepts(requested) else { return }
        if let f, floats[i] == nil { floats[i] = f; storedBytes += f.count * 4 }
        if let h, halves[i] == nil { halves[i] = h; storedBytes += h.count * 2 }
    }
}
