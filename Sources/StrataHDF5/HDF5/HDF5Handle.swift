import CHDF5

/// Owns one HDF5 identifier (`hid_t`) and closes it exactly once, when the owner goes away.
///
/// Every wrapper type holds its id through one of these, so an id is released on every path,
/// including thrown errors.
final class HDF5Handle {
    typealias Closer = @convention(c) (hid_t) -> herr_t

    let id: hid_t
    private let closer: Closer

    /// Takes ownership of `id`; throws the current HDF5 error if `id` is negative (a failed call).
    init(_ id: hid_t, closer: @escaping Closer, file: String?, object: String?, operation: String) throws {
        guard id >= 0 else {
            throw HDF5Error.fromStack(file: file, object: object, operation: operation)
        }
        self.id = id
        self.closer = closer
    }

    deinit { _ = closer(id) }
}

/// Turns a negative `herr_t` / `htri_t` / count into a thrown `HDF5Error`.
@inline(__always)
@discardableResult
func checkHDF5<T: BinaryInteger>(_ status: T, file: String?, object: String?, _ operation: @autoclosure () -> String) throws -> T {
    if status < 0 {
        throw HDF5Error.fromStack(file: file, object: object, operation: operation())
    }
    return status
}
