/// A dense row-major f32 tensor: a shape and its contiguous values.
///
/// The probes keep their hot loops on raw buffers; `Tensor` is the value type that carries
/// data across API boundaries (batches, activations handed to callers, test fixtures).
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis, outermost first.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var values: [Float]

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.values = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Wraps existing values; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) throws {
        let expected = shape.reduce(1, *)
        guard expected == values.count else {
            throw ProbeError.shapeMismatch(what: "tensor", expected: shape, actualCount: values.count)
        }
        self.shape = shape
        self.values = values
    }

    /// Number of values.
    public var count: Int { values.count }
}
