/// 64-bit FNV-1a (Fowler, Noll, Vo): a fast, non-cryptographic hash for identification (record-id
/// hashes in block headers, dataset fingerprints), never for tamper-proofing. The one implementation
/// in the package; its values are part of the format (spec/FORMAT.md) and of saved stream states.
package struct FNV1a64: Sendable {
    package static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    package static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The hash of everything fed so far.
    package var value: UInt64 = FNV1a64.offsetBasis

    @inlinable
    package init() {}

    @inlinable
    package mutating func feed(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* Self.prime
    }

    @inlinable
    package mutating func feed<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { feed(byte: byte) }
    }

    /// Feeds the eight little-endian bytes of `word`.
    @inlinable
    package mutating func feed(littleEndian word: UInt64) {
        var rest = word
        for _ in 0..<8 {
            feed(byte: UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
    }

    /// The hash of a string's UTF-8 bytes.
    @inlinable
    package static func hash(_ text: String) -> UInt64 {
        var hasher = FNV1a64()
        hasher.feed(bytes: text.utf8)
        return hasher.value
    }
}
