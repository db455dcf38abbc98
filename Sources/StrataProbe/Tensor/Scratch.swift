/// A growable, reusable f32 buffer for activations kept between a forward and its backward.
/// Never shrinks; `ensure` reallocates only when a larger size is needed (no per-call allocation),
/// and then to exactly that size, so a worker's workspace is what its longest example needs
/// (`Probe.workspaceBytes`, reserved inside `--memory-budget`).
final class FloatScratch {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Ensures room for `count` values and returns the base pointer.
    @inline(__always)
    @discardableResult
    func ensure(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        return pointer
    }

    var byteCount: Int { capacity * MemoryLayout<Float>.stride }
}

/// A growable Int32 buffer (argmax indices of max pooling).
final class IndexScratch {
    private(set) var pointer: UnsafeMutablePointer<Int32>
    private(set) var capacity: Int

    init(_ capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
        pointer.initialize(repeating: -1, count: self.capacity)
    }

    deinit { pointer.deallocate() }

    @inline(__always)
    @discardableResult
    func ensure(_ count: Int) -> UnsafeMutablePointer<Int32> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: -1, count: capacity)
        }
        return pointer
    }

    var byteCount: Int { capacity * MemoryLayout<Int32>.stride }
}
