import Foundation
import StrataTestSupport
import Testing

@testable import Strata

/// `FileReplacement`: the target changes only on `commit()`; a failed write leaves it byte for byte and
/// removes its partial file; partial files of dead pids are removed, those of running ones kept.
@Suite struct FileReplacementTests {
    struct Planned: Error {}

    @Test func aFailedWriteLeavesTheTargetAndNoPartialFile() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/precious.bin"
            let original = Data("keep me".utf8)
            try original.write(to: URL(fileURLWithPath: target))
            #expect(throws: Planned.self) {
                try FileReplacement(target: target).write { partial in
                    try Data("half a new fi".utf8).write(to: URL(fileURLWithPath: partial))
                    throw Planned()
                }
            }
            #expect(FileManager.default.contents(atPath: target) == original)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["precious.bin"])
            try FileReplacement(target: target).write { try Data("new".utf8).write(to: URL(fileURLWithPath: $0)) }
            #expect(FileManager.default.contents(atPath: target) == Data("new".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["precious.bin"])
        }
    }

    @Test func errorsAboutThePartialFileNameTheTarget() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/x.strata"
            do {
                try FileReplacement(target: target).write { partial in
                    throw StrataError(.invalidArgument, "duplicate record id in this shard", path: partial, record: 3)
                }
                Issue.record("the error was not passed on")
            } catch let error as StrataError {
                #expect(error.path == target && error.record == 3)
            }
        }
    }

    @Test func stalePartialsOfDeadProcessesAreRemoved() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/out.h5"
            let dead = FileReplacement.partialPath(of: target, pid: OutputLockTests.deadPID)
            let alive = FileReplacement.partialPath(of: target, pid: getppid())
            let unrelated = dir + "/other.h5.partial-1"
            for path in [dead, alive, unrelated] { try Data([0]).write(to: URL(fileURLWithPath: path)) }
            let replacement = try FileReplacement(target: target)
            #expect(replacement.removedStalePartials == [dead])
            #expect(!FileManager.default.fileExists(atPath: dead))
            #expect(FileManager.default.fileExists(atPath: alive) && FileManager.default.fileExists(atPath: unrelated))
        }
    }
}
