import Crypto
import Foundation

/// Streaming SHA-256 as lower-case hex: model-file hashes (hundreds of MB) and the tokenizer identity.
/// The hashing is swift-crypto's `SHA256` (BoringSSL on Linux, CryptoKit on Apple platforms); this type
/// only fixes the one output form Strata stores and compares.
public struct SHA256Digest {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    /// The digest as 64 lower-case hex digits.
    public mutating func finalize() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in hasher.finalize() {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256Digest {
    /// A file that could not be hashed: which, and why.
    public struct FileError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let why: String
        public var description: String { "\(path): \(why)" }
    }

    /// Lower-case hex SHA-256 of the file at `path`, read in 4 MiB pieces (model files, the fetched model).
    public static func hexDigest(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path: path, why: "cannot open it for reading") }
        defer { try? handle.close() }
        var digest = SHA256Digest()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 4 << 20) ?? Data() } catch {
                throw FileError(path: path, why: "cannot read it: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { digest.update($0) }
        }
        return digest.finalize()
    }
}
