import Foundation

/// Buffers and a zstd context for decoding one block at a time; pooled so concurrent reads do not
/// allocate (a fresh 256 KB buffer per block would cost an mmap and page faults).
final class DecodeWorkspace {
    let decompressor: ZstdDecompressor
    /// Block header + stored payload as read from the file.
    private(set) var stored: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
    /// Decompressed (shuffled) payload.
    private(set) var raw: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
    /// Scratch for shuffling an unshuffled payload.
    private(set) var spare: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)

    init() throws { decompressor = try ZstdDecompressor() }

    deinit {
        stored.deallocate()
        raw.deallocate()
        spare.deallocate()
    }

    private static func grow(_ b: inout UnsafeMutableRawBufferPointer, _ n: Int) {
        if b.count < n {
            b.deallocate()
            b = .allocate(byteCount: max(n, 4096), alignment: 64)
        }
    }

    func reserveStored(_ n: Int) { Self.grow(&stored, n) }

    func reserveRaw(_ n: Int) { Self.grow(&raw, n) }

    func reserveSpare(_ n: Int) { Self.grow(&spare, n) }
}

/// A small lock-protected pool of `DecodeWorkspace`s.
final class DecodeWorkspacePool: @unchecked Sendable {
    /// The process-wide pool every `ShardReader` draws from.
    static let shared = DecodeWorkspacePool()

    private var free: [DecodeWorkspace] = []
    private let lock = NSLock()

    func take() throws -> DecodeWorkspace {
        lock.lock()
        let w = free.popLast()
        lock.unlock()
        return try w ?? DecodeWorkspace()
    }

    func give(_ w: DecodeWorkspace) {
        lock.lock()
        if free.count < 8 { free.append(w) }
        lock.unlock()
    }
}
