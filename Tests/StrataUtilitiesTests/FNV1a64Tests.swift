import StrataUtilities
import Testing

/// FNV-1a 64 against the published test vectors (Fowler/Noll/Vo, "FNV test suite").
@Suite struct FNV1a64Tests {
    @Test(arguments: [
        ("", UInt64(0xCBF2_9CE4_8422_2325)),
        ("a", 0xAF63_DC4C_8601_EC8C),
        ("foobar", 0x8594_4171_F739_67E8)
    ])
    func matchesPublishedVectors(text: String, expected: UInt64) {
        #expect(FNV1a64.hash(text) == expected)
        var hasher = FNV1a64()
        for byte in text.utf8 { hasher.feed(byte: byte) }
        #expect(hasher.value == expected)
    }

    @Test func littleEndianWordIsItsEightBytes() {
        let word: UInt64 = 0x0102_0304_0506_0708
        var byWord = FNV1a64(), byBytes = FNV1a64()
        byWord.feed(littleEndian: word)
        byBytes.feed(bytes: [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        #expect(byWord.value == byBytes.value)
    }
}
