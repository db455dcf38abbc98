import Foundation

/// A trained probe on disk (format: spec/PROBES.md, version 1).
///
/// ```
/// "STRPROBE"            8 bytes magic
/// version               u32 LE (= 1)
/// header length J       u32 LE
/// header                J bytes UTF-8 JSON (ProbeCheckpoint.Header)
/// zero padding          to the next multiple of 16 bytes from the file start
/// parameter count P     u64 LE
/// parameters            P × f32 LE, in ParameterLayout order
/// crc32                 u32 LE, CRC-32/IEEE of every preceding byte
/// ```
public struct ProbeCheckpoint: Sendable, Equatable {
    public static let magic: [UInt8] = Array("STRPROBE".utf8)
    public static let version: UInt32 = 1

    /// The JSON part.
    public struct Header: Codable, Sendable, Equatable {
        public var format = "strata-probe"
        public var version: Int = 1
        public var configuration: ProbeConfiguration
        public var layout: ParameterLayout
        /// Binary decision threshold on P(class 1) chosen on validation (nil for C > 2).
        public var threshold: Float?
        public var labelNames: [String]?
        public var provenance: TrainingProvenance?
    }

    public var header: Header
    public var parameters: [Float]

    public init(probe: Probe, threshold: Float?, labelNames: [String]?, provenance: TrainingProvenance?) {
        header = Header(
            configuration: probe.configuration, layout: probe.layout, threshold: threshold,
            labelNames: labelNames, provenance: provenance)
        parameters = probe.parameters
    }

    /// Rebuilds the probe with the stored parameters (bit for bit).
    public func makeProbe() throws -> Probe {
        let probe = try Probe(configuration: header.configuration, parameters: parameters)
        guard probe.layout == header.layout else {
            throw ProbeError.checkpoint(
                path: "(in memory)", offset: nil,
                reason: "stored parameter layout does not match the configuration's layout")
        }
        return probe
    }

    /// Serialised bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json = Array(try encoder.encode(header))
        var bytes = Self.magic
        appendLE(&bytes, Self.version)
        appendLE(&bytes, UInt32(json.count))
        bytes += json
        while bytes.count % 16 != 0 { bytes.append(0) }
        appendLE(&bytes, UInt64(parameters.count))
        bytes.reserveCapacity(bytes.count + parameters.count * 4 + 4)
        for p in parameters { appendLE(&bytes, p.bitPattern) }
        appendLE(&bytes, CRC32.of(bytes))
        return bytes
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to path: String) throws {
        let data = Data(try encoded())
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ProbeError.io(path: path, reason: "cannot write checkpoint: \(error.localizedDescription)")
        }
    }

    /// Reads and verifies a checkpoint file.
    public static func read(from path: String) throws -> ProbeCheckpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbeError.io(path: path, reason: "cannot read probe checkpoint (missing or unreadable)")
        }
        return try decode(Array(data), path: path)
    }

    /// Parses bytes; every failure names the byte offset and the reason.
    public static func decode(_ b: [UInt8], path: String) throws -> ProbeCheckpoint {
        func fail(_ offset: Int?, _ reason: String) -> ProbeError { .checkpoint(path: path, offset: offset, reason: reason) }
        guard b.count >= 8 + 4 + 4 + 8 + 4 else { throw fail(0, "file is \(b.count) bytes, too short for a probe checkpoint") }
        guard Array(b[0..<8]) == magic else { throw fail(0, "not a Strata probe checkpoint (bad magic)") }
        let version: UInt32 = readLE(b, 8)
        guard version == Self.version else { throw fail(8, "unsupported checkpoint version \(version) (this tool reads \(Self.version))") }
        let stored: UInt32 = readLE(b, b.count - 4)
        let actual = b.withUnsafeBytes { raw -> UInt32 in
            var c = CRC32()
            c.update(UnsafeRawBufferPointer(rebasing: raw[0..<(b.count - 4)]))
            return c.checksum
        }
        guard stored == actual else {
            throw fail(
                b.count - 4,
                String(format: "checksum mismatch (stored %08x, computed %08x): the file is corrupt or truncated", stored, actual))
        }
        let jsonLength = Int(readLE(b, 12) as UInt32)
        guard 16 + jsonLength <= b.count - 12 else { throw fail(12, "header length \(jsonLength) runs past the end of the file") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(b[16..<(16 + jsonLength)])) } catch {
            throw fail(16, "header JSON is invalid: \(error)")
        }
        var offset = 16 + jsonLength
        while offset % 16 != 0 { offset += 1 }
        guard offset + 8 <= b.count - 4 else { throw fail(offset, "missing parameter count") }
        let count = Int(readLE(b, offset) as UInt64)
        offset += 8
        guard count == header.layout.totalCount, offset + count * 4 == b.count - 4 else {
            throw fail(offset - 8, "parameter count \(count) does not match the layout (\(header.layout.totalCount)) or the file size")
        }
        var parameters = [Float](repeating: 0, count: count)
        for j in 0..<count { parameters[j] = Float(bitPattern: readLE(b, offset + 4 * j)) }
        return ProbeCheckpoint(header: header, parameters: parameters)
    }

    init(header: Header, parameters: [Float]) { self.header = header; self.parameters = parameters }
}

private func appendLE<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ v: T) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
}

private func readLE<T: FixedWidthInteger>(_ b: [UInt8], _ offset: Int) -> T {
    var v: T = 0
    for k in 0..<MemoryLayout<T>.size { v |= T(b[offset + k]) << (8 * k) }
    return v
}
