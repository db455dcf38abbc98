import Foundation
import Testing

@testable import StrataModel

/// The model-file hash against FIPS 180-4 test vectors and chunking.
struct SHA256DigestTests {
    static func digest(_ bytes: [UInt8], chunk: Int? = nil) -> String {
        var d = SHA256Digest()
        if let chunk {
            var i = 0
            while i < bytes.count {
                d.update(Array(bytes[i..<min(bytes.count, i + chunk)]))
                i += chunk
            }
        } else {
            d.update(bytes)
        }
        return d.finalize()
    }

    @Test func knownAnswers() {
        #expect(Self.digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.digest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Self.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: 0x61, count: 1_000_000)
        #expect(Self.digest(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func chunkingDoesNotMatter() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = Self.digest(bytes)
        for chunk in [1, 3, 63, 64, 65, 200] { #expect(Self.digest(bytes, chunk: chunk) == whole) }
    }
}
