import Foundation
import Testing

@testable import Strata

/// `SystemErrorText`: Foundation's and POSIX's errors become "PATH: cannot OP: reason"; Strata's own
/// errors keep their messages.
@Suite struct SystemErrorTextTests {
    @Test func aReadOnlyFileSystemIsNamed() {
        // What FileManager.createDirectory throws on a read-only mount (observed on Linux).
        let error = CocoaError(
            .fileWriteVolumeReadOnly,
            userInfo: [
                NSFilePathErrorKey: "/mnt/ro/caps",
                NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EROFS))
            ])
        #expect(SystemErrorText.isSystemError(error))
        #expect(SystemErrorText.message(for: error) == "/mnt/ro/caps: cannot write: read-only file system")
        // Without the underlying POSIX error, the Cocoa code alone says it.
        let bare = CocoaError(.fileWriteVolumeReadOnly, userInfo: [NSFilePathErrorKey: "/mnt/ro/caps"])
        #expect(SystemErrorText.message(for: bare) == "/mnt/ro/caps: cannot write: read-only file system")
    }

    @Test func readErrorsAndPOSIXErrors() {
        let missing = CocoaError(.fileReadNoSuchFile, userInfo: [NSURLErrorKey: URL(fileURLWithPath: "/nowhere/in.txt")])
        #expect(SystemErrorText.message(for: missing) == "/nowhere/in.txt: cannot read: no such file or directory")
        #expect(SystemErrorText.message(for: POSIXError(.ENOSPC)) == "no space left on device")
        #expect(SystemErrorText.reason(CocoaError(.fileWriteOutOfSpace)) == "no space left on device")
    }

    @Test func strataErrorsKeepTheirMessages() {
        let error = StrataError(.corrupt, "block CRC mismatch", path: "a.strata", record: 2)
        #expect(!SystemErrorText.isSystemError(error))
        #expect(SystemErrorText.message(for: error) == error.description)
    }
}
