import CHDF5

/// Process-wide HDF5 set-up and the constants the C headers define as macros (which Swift
/// cannot import): property-list defaults, predefined datatypes, open flags.
public enum HDF5Library {
    /// `H5P_DEFAULT`, `H5S_ALL`, `H5E_DEFAULT`: the id 0.
    static let defaultID: hid_t = 0
    static let accessReadOnly: UInt32 = 0x0000
    static let accessReadWrite: UInt32 = 0x0001
    static let accessTruncate: UInt32 = 0x0002
    /// `H5T_VARIABLE` (`(size_t)-1`).
    static let variableSize: Int = -1

    /// Runs `H5open` once and registers the Strata zstd filter (id 32015).
    private static let initialised: Bool = {
        _ = H5open()
        ZstdFilter.register()
        return true
    }()

    /// Makes sure the library is initialised and that failures on this thread do not print
    /// HDF5's error stack to stderr (in thread-safe builds the setting is per thread).
    /// Every wrapper calls this before it calls into HDF5.
    @inline(__always)
    static func prepare() {
        _ = initialised
        _ = H5Eset_auto2(defaultID, nil, nil)
    }

    /// Runtime version of the linked HDF5 library, e.g. "1.10.8".
    public static var version: String {
        prepare()
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        _ = H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Collects the messages of this thread's HDF5 error stack (outermost first) and clears it.
    static func drainErrorStack() -> [String] {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { pointer in
            _ = H5Ewalk2(
                defaultID, H5E_WALK_DOWNWARD,
                { _, entry, client in
                    guard let entry, let client else { return 0 }
                    let list = client.assumingMemoryBound(to: [String].self)
                    let description = entry.pointee.desc.map { String(cString: $0) } ?? ""
                    var minorText = [CChar](repeating: 0, count: 256)
                    var messageType = H5E_MAJOR
                    _ = H5Eget_msg(entry.pointee.min_num, &messageType, &minorText, 256)
                    let minor = String(cString: minorText)
                    let text = [minor, description].filter { !$0.isEmpty }.joined(separator: ": ")
                    if !text.isEmpty { list.pointee.append(text) }
                    return 0
                }, pointer)
        }
        _ = H5Eclear2(defaultID)
        return messages
    }
}
