import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// `OutputLock`: one writer per output; a second is refused naming the holder's pid; a lock file
/// left by a dead process does not block; releasing removes the lock file (and a directory the lock
/// created, when nothing was written there).
@Suite struct OutputLockTests {
    /// A pid no process can have (Linux pids stay below pid_max, at most 2^22).
    static let deadPID = Int32.max

    @Test func aSecondWriterIsRefusedNamingTheHoldersPID() throws {
        try withTemporaryDirectory { dir in
            let out = dir + "/out"
            let first = try OutputLock(directory: out)
            #expect(first.lockPath == out + "/.strata.lock")
            let holder = try String(contentsOfFile: first.lockPath, encoding: .utf8)
            let object = try JSONSerialization.jsonObject(with: Data(holder.utf8)) as? [String: Any]
            #expect(object?["pid"] as? Int == Int(getpid()), "\(holder)")
            // flock conflicts between two open file descriptions, even in one process.
            do {
                _ = try OutputLock(directory: out)
                Issue.record("a second lock on \(out) was granted")
            } catch let error as StrataError {
                #expect(error.kind == .locked)
                #expect(error.description.contains("pid \(getpid())") && error.description.contains(out), "\(error)")
            }
            first.release()
            #expect(!FileManager.default.fileExists(atPath: out + "/.strata.lock"))
            let again = try OutputLock(directory: out)
            again.release()
        }
    }

    @Test func aLockFileLeftByADeadProcessDoesNotBlock() throws {
        try withTemporaryDirectory { dir in
            let file = dir + "/probe.bin"
            let stale = OutputLock.lockPath(forFile: file)
            #expect(stale == dir + "/.probe.bin.lock")
            try "{\"command\":\"strata train\",\"pid\":\(Self.deadPID)}\n".write(toFile: stale, atomically: false, encoding: .utf8)
            let lock = try OutputLock(file: file)
            let holder = try String(contentsOfFile: stale, encoding: .utf8)
            #expect(holder.contains("\"pid\":\(getpid())"), "\(holder)")
            lock.release()
            #expect(!FileManager.default.fileExists(atPath: stale))
        }
    }

    @Test func releaseRemovesADirectoryItCreatedOnlyWhenEmpty() throws {
        try withTemporaryDirectory { dir in
            let unused = dir + "/a/b"
            try OutputLock(directory: unused).release()
            #expect(!FileManager.default.fileExists(atPath: unused))
            let written = dir + "/written"
            let lock = try OutputLock(directory: written)
            try Data([1]).write(to: URL(fileURLWithPath: written + "/x"))
            lock.release()
            #expect(FileManager.default.fileExists(atPath: written + "/x"))
            // A directory that existed before is never removed.
            let existing = dir + "/existing"
            try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
            try OutputLock(directory: existing).release()
            #expect(FileManager.default.fileExists(atPath: existing))
        }
    }

    @Test func aFileInPlaceOfTheDirectoryIsRefused() throws {
        try withTemporaryDirectory { dir in
            try Data([1]).write(to: URL(fileURLWithPath: dir + "/plain"))
            #expect(throws: StrataError.self) { _ = try OutputLock(directory: dir + "/plain") }
        }
    }
}
