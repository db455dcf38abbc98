import CHDF5

/// A failure reported by the HDF5 library or found while interpreting an HDF5 file.
///
/// Says which file and which object (dataset, group, attribute) were involved, what
/// Strata was doing, and why it failed — including the innermost messages of HDF5's
/// own error stack, which is otherwise silenced (HDF5 prints to stderr by default).
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// The HDF5 file, when known.
    public var file: String?
    /// Path of the object inside the file (e.g. `/hidden_states`), when known.
    public var object: String?
    /// What Strata was doing, e.g. "open dataset" or "read chunk".
    public var operation: String
    /// Why it failed, in words.
    public var reason: String

    public init(file: String? = nil, object: String? = nil, operation: String, reason: String) {
        self.file = file
        self.object = object
        self.operation = operation
        self.reason = reason
    }

    public var description: String {
        var text = "HDF5: cannot \(operation)"
        if let object { text += " '\(object)'" }
        if let file { text += object == nil ? " \(file)" : " in \(file)" }
        return text + ": \(reason)"
    }

    /// Builds an error from HDF5's current (per-thread) error stack, then clears that stack.
    static func fromStack(file: String?, object: String?, operation: String) -> HDF5Error {
        let messages = HDF5Library.drainErrorStack()
        // The innermost entries say what actually went wrong ("file signature not found",
        // "required filter not registered", ...); the outer ones only name API functions.
        let reason =
            messages.isEmpty
            ? "the HDF5 library reported a failure without details"
            : messages.suffix(2).joined(separator: "; ")
        return HDF5Error(file: file, object: object, operation: operation, reason: reason)
    }
}
