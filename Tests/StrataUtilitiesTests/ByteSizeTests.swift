import StrataUtilities
import Testing

/// One rule for sizes: decimal units with `B`, binary ones with `iB` or a bare letter.
@Suite struct ByteSizeTests {
    static let accepted: [(text: String, bytes: Int)] = [
        ("4096", 4096), ("0", 0), ("12B", 12),
        ("1KB", 1000), ("1kb", 1000), ("512MB", 512_000_000), ("2GB", 2_000_000_000), ("1TB", 1_000_000_000_000),
        ("1KiB", 1024), ("512MiB", 512 << 20), ("2GiB", 2 << 30), ("1TiB", 1 << 40), ("64mib", 64 << 20),
        ("64K", 64 << 10), ("16M", 16 << 20), ("1G", 1 << 30), ("1.5g", 3 << 29), ("1.5GB", 1_500_000_000),
        (" 2 GiB ", 2 << 30), ("0.5KB", 500)
    ]

    @Test(arguments: accepted)
    func parses(text: String, bytes: Int) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test(arguments: ["", "lots", "-5MB", "1.2.3", "5 MBs", "1e3", "10 XB", "9EB", "١٢MB"])
    func rejects(text: String) {
        #expect(throws: TextParseError.self) { try ByteSize(parsing: text) }
    }

    @Test func rejectionSaysWhy() {
        #expect(throws: ByteSize.parseError("5XB", "unknown unit 'xb' (\(ByteSize.rule))")) {
            try ByteSize(parsing: "5XB")
        }
    }

    @Test(arguments: [0, 1, 1000, 1024, 1536, 256 << 20, 512_000_000, 1 << 30, 3 << 29, 1_500_000_000, 7 << 40])
    func descriptionIsExactAndParsesBack(bytes: Int) throws {
        let size = ByteSize(bytes: bytes)
        #expect(try ByteSize(parsing: size.description) == size)
    }

    @Test func descriptionPrefersBinaryThenDecimalUnits() {
        #expect(ByteSize(bytes: 256 << 20).description == "256MiB")
        #expect(ByteSize(bytes: 512_000_000).description == "512MB")
        #expect(ByteSize(bytes: 1000).description == "1KB")
        #expect(ByteSize(bytes: 1536).description == "1536B")
    }

    @Test func formatRendersBinaryUnitsForMessages() {
        #expect(ByteSize.format(512) == "512 B")
        #expect(ByteSize.format(1536) == "1.50 KiB")
        #expect(ByteSize.format(3 << 29) == "1.50 GiB")
    }
}
