import Foundation
@testable import StrataCapture
import Testing
import StrataTestSupport

/// The model-file hash cache kept beside the model.
struct ModelFileHashTests {
    @Test func fileHashIsCachedBesideTheFileAndRefreshedWhenItChanges() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/m.gguf"
            try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
            #expect(try ModelFileHash.sha256(of: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(FileManager.default.fileExists(atPath: path + ".sha256"))
            try Data("abcd".utf8).write(to: URL(fileURLWithPath: path))
            #expect(try ModelFileHash.sha256(of: path) == "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589")
        }
    }
}
