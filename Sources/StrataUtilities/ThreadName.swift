import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The name the kernel shows for the calling thread (`top -H`, `/proc/self/task/*/comm`, gdb). Foundation's
/// `Thread.name`, set before `start()`, does not reach the kernel on Linux, and Linux refuses names over 15
/// bytes (`pthread_setname_np` fails with ERANGE), so a worker's name is cut to fit. Elsewhere this does
/// nothing.
enum ThreadName {
    /// The longest name Linux keeps, in bytes (16 with the terminating NUL).
    static let maximumBytes = 15

    /// "prefix-worker" in at most `maximumBytes` UTF-8 bytes: the prefix is cut (never inside a character)
    /// so the worker number always shows, e.g. "strata-capture-writer", 0 → "strata-captur-0".
    static func kernelName(prefix: String, worker: Int) -> String {
        let suffix = "-\(worker)"
        var cut = ""
        for character in prefix {
            guard cut.utf8.count + String(character).utf8.count + suffix.utf8.count <= maximumBytes else { break }
            cut.append(character)
        }
        return cut + suffix
    }

    /// Names the calling thread "prefix-worker" for the kernel (Linux only; best effort: a failure leaves the
    /// inherited name). Written to /proc/thread-self/comm, what `pthread_setname_np` does, which Swift's Glibc
    /// module does not export.
    static func setCurrent(prefix: String, worker: Int) {
        #if os(Linux)
            let fd = open("/proc/thread-self/comm", O_WRONLY)
            guard fd >= 0 else { return }
            defer { close(fd) }
            let bytes = Array(kernelName(prefix: prefix, worker: worker).utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #endif
    }

    /// The calling thread's kernel name (nil where it cannot be read).
    static func current() -> String? {
        #if os(Linux)
            let fd = open("/proc/thread-self/comm", O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return nil }
            return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .newlines)
        #else
            return nil
        #endif
    }
}
