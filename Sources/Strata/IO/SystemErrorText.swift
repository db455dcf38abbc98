import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Human messages for the operating-system errors that Foundation wraps: a `CocoaError` such as
/// `NSCocoaErrorDomain Code=642` (what `FileManager` throws on a read-only file system) becomes
/// "PATH: cannot write: read-only file system". Errors of Strata's own types keep their messages.
public enum SystemErrorText {
    /// The message to show for `error`: for Foundation file errors and POSIX errors the path (when
    /// known), the operation and the reason; for every other error its own `description`.
    public static func message(for error: Error) -> String {
        let ns = error as NSError
        guard isSystem(ns) else { return String(describing: error) }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        let operation = operationName(ns)
        return (path.map { "\($0): " } ?? "") + (operation.map { "cannot \($0): " } ?? "") + reason(error)
    }

    /// Why a system error happened, in a few words ("read-only file system", "no space left on device"):
    /// the underlying POSIX error's text when there is one, else the Foundation code's meaning.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return posixText(Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return posixText(Int32(underlying.code))
        }
        guard ns.domain == NSCocoaErrorDomain else { return String(describing: error) }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileWriteVolumeReadOnly: return posixText(EROFS)
        case .fileWriteOutOfSpace: return posixText(ENOSPC)
        case .fileNoSuchFile, .fileReadNoSuchFile: return posixText(ENOENT)
        case .fileWriteNoPermission, .fileReadNoPermission: return posixText(EACCES)
        case .fileWriteFileExists: return posixText(EEXIST)
        case .fileReadTooLarge: return "the file is too large"
        case .fileReadCorruptFile: return "the file is damaged or in an unexpected format"
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: return "the text is not in the expected encoding"
        case .fileLocking: return "the file is locked"
        default: return ns.localizedDescription
        }
    }

    /// True for Foundation's file errors and plain POSIX errors (Strata's own error types are not).
    public static func isSystemError(_ error: Error) -> Bool {
        isSystem(error as NSError)
    }

    static func isSystem(_ error: NSError) -> Bool {
        error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain
    }

    /// "read" / "write" from the Cocoa code's range (256–511 reading, 512–767 writing).
    static func operationName(_ error: NSError) -> String? {
        guard error.domain == NSCocoaErrorDomain else { return nil }
        switch error.code {
        case 256...511: return "read"
        case 512...767: return "write"
        default: return nil
        }
    }

    /// strerror(3) in lower case ("Read-only file system" → "read-only file system").
    static func posixText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }
}
