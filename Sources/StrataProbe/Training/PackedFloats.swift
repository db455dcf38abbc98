import Foundation

/// An f32 array that a `TrainingState` stores as base64 of its little-endian bytes (bit-exact:
/// signed zeros, subnormals, NaN payloads).
///
/// It holds the array itself, not a packed copy, so a state built from the trainer's parameters and
/// optimizer moments shares their storage (copy-on-write), and `TrainingState.save` writes the base64
/// text in small pieces: saving an MHA probe's state (4 arrays of 1.3M values) took 130 MB of
/// temporary JSON and base64 strings before (issue 20), now under 1 MB.
public struct PackedFloats: Codable, Sendable, Equatable {
    public var values: [Float]

    public init(_ values: [Float]) { self.values = values }

    public var count: Int { values.count }

    /// Little-endian f32 bytes of `values`.
    public static func pack(_ values: some Collection<Float>) -> Data {
        var data = Data(count: values.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        }
        return data
    }

    /// The inverse of `pack`; nil when the byte count is not `count × 4`.
    public static func unpack(_ data: Data, count: Int) -> [Float]? {
        guard data.count == count * 4 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// Values per base64 piece when streaming: 12,288 floats = 49,152 bytes, a multiple of 3, so the
    /// pieces' base64 texts concatenate to the base64 of the whole array.
    static let streamPiece = 12_288

    /// Writes the base64 text of `values` (without quotes) in pieces of `streamPiece` values.
    func writeBase64(_ append: (UnsafeRawBufferPointer) throws -> Void) throws {
        var start = 0
        repeat {
            let end = min(values.count, start + Self.streamPiece)
            let text = Self.pack(values[start..<end]).base64EncodedData()
            try text.withUnsafeBytes { try append($0) }
            start = end
        } while start < values.count
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let data = Data(base64Encoded: text), data.count % 4 == 0, let values = Self.unpack(data, count: data.count / 4) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not base64 of little-endian f32 values")
        }
        self.values = values
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let deferred = encoder.userInfo[DeferredFloatArrays.key] as? DeferredFloatArrays {
            try container.encode(deferred.placeholder(for: self))
        } else {
            try container.encode(Self.pack(values).base64EncodedString())
        }
    }
}

/// Collects the `PackedFloats` of one JSON encoding, leaving a unique placeholder string where each
/// one's base64 text belongs; `writeSplicing` then writes the encoded document with every placeholder
/// replaced by its array's base64, streamed.
final class DeferredFloatArrays: @unchecked Sendable {
    static let key = CodingUserInfoKey(rawValue: "strata.deferredFloatArrays")!

    /// A per-encoding prefix no other string of the document can contain by chance.
    private let marker = "strata-deferred-f32-\(UUID().uuidString)-"
    private var arrays: [PackedFloats] = []

    func placeholder(for array: PackedFloats) -> String {
        arrays.append(array)
        return marker + String(arrays.count - 1)
    }

    /// Writes `document` (a JSON encoding made with this collector in the encoder's `userInfo`),
    /// each quoted placeholder replaced by the quoted base64 of its array.
    func writeSplicing(_ document: Data, _ append: (UnsafeRawBufferPointer) throws -> Void) throws {
        let opening = Array(("\"" + marker).utf8)
        let bytes = [UInt8](document)
        var written = 0, i = 0
        while i + opening.count <= bytes.count {
            guard bytes[i] == opening[0], bytes[i..<(i + opening.count)].elementsEqual(opening) else { i += 1; continue }
            var j = i + opening.count, index = 0
            while j < bytes.count, (48...57).contains(bytes[j]) {
                index = index * 10 + Int(bytes[j] - 48)
                j += 1
            }
            guard j > i + opening.count, j < bytes.count, bytes[j] == UInt8(ascii: "\""), index < arrays.count else { i += 1; continue }
            try bytes[written...i].withUnsafeBytes { try append($0) } // up to and including the opening quote
            try arrays[index].writeBase64(append)
            written = j // the closing quote is written next
            i = j + 1
        }
        try bytes[written...].withUnsafeBytes { try append($0) }
    }
}
