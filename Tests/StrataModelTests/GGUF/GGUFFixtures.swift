import Foundation
import StrataTestSupport
import Testing

@testable import StrataModel

/// Locates the committed GGUF fixtures (made by Tests/StrataModelTests/Fixtures/gguf/gen_gguf_fixtures.py) and shared test helpers.
enum GGUFFixtures {
    static var directory: URL {
        get throws {
            let base = try #require(Bundle.module.resourceURL, "test bundle has no resource URL")
            return base.appendingPathComponent("Fixtures/gguf")
        }
    }

    static func url(_ name: String) throws -> URL { try directory.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// Little-endian float32 values of a fixture file.
    static func floats(_ name: String) throws -> [Float] {
        let data = try data(name)
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// A fresh temporary directory, unique per call.

    /// Expects `actual` and `expected` to be bit-for-bit equal, reporting the number of differences and the
    /// first few (not whole arrays) when they are not.
    static func expectBitEqual(
        _ actual: [Float], _ expected: [Float], _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard actual.count == expected.count else {
            Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
            return
        }
        let differing = actual.indices.filter { actual[$0].bitPattern != expected[$0].bitPattern }
        if !differing.isEmpty {
            let examples = differing.prefix(4).map { "[\($0)] \(actual[$0]) vs \(expected[$0])" }.joined(separator: ", ")
            Issue.record("\(what): \(differing.count) of \(actual.count) values differ, e.g. \(examples)", sourceLocation: sourceLocation)
        }
    }
}
