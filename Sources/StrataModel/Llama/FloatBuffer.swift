/// A fixed-size, heap-allocated array of `Float` with reference semantics.
///
/// The forward pass keeps its weights and scratch activations in these rather than in `[Float]`, so the hot
/// loops work on raw pointers without copy-on-write checks or exclusivity checks, and a buffer can be shared
/// by reference (for example the token embedding reused as a tied output head). Freed when the last
/// reference goes away.
public final class FloatBuffer: @unchecked Sendable {
    /// The storage; valid for the lifetime of this object.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats.
    public let count: Int

    /// A zero-filled buffer of `count` floats.
    public init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// The contents as a buffer pointer (valid while `self` is alive).
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// A copy of the contents as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
