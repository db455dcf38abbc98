import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataCapture

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

    /// A file of several read pieces (4 MiB each) and an odd tail hashes as Python's hashlib says, which is
    /// what `strata fetch-model` compares with the pinned SHA-256 of the model.
    @Test(.needsPython("hashlib")) func multiPieceFileHashEqualsHashlib() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/big.bin"
            var state: UInt64 = 0x2545_F491_4F6C_DD1D
            let bytes = (0..<(9 << 20) + 37).map { _ -> UInt8 in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let python = try Python.run([
                "-c", "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())", path
            ])
            try #require(python.status == 0, "\(python.output)")
            let expected = String(decoding: python.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try SHA256Digest.hexDigest(ofFileAt: path) == expected)
        }
    }
}
