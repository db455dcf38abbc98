import Foundation
import Strata

/// Writes a little-endian float32 `.npy` file (NumPy format 1.0) whose rows arrive in order, so arrays larger
/// than memory can be streamed. The file is written through a `FileReplacement` (locked, `PATH.partial-PID`,
/// renamed into place by `finish()`), so a failed or interrupted write never leaves a truncated file under
/// the final name and never touches an existing one.
final class NumpyFileWriter {
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot write \(path): \(reason)" }
    }

    let path: String
    let shape: [Int]
    private let replacement: FileReplacement
    private let handle: FileHandle
    private var written = 0
    private var closed = false

    /// Opens `path` for a float32 array of `shape` (C order) and writes the header.
    init(path: String, shape: [Int]) throws {
        self.path = path
        self.shape = shape
        replacement = try FileReplacement(target: path)
        guard FileManager.default.createFile(atPath: replacement.partialPath, contents: nil),
            let handle = FileHandle(forWritingAtPath: replacement.partialPath)
        else {
            throw WriteError(path: path, reason: "cannot create \(replacement.partialPath)")
        }
        self.handle = handle
        try handle.write(contentsOf: NumpyFileWriter.header(shape: shape))
    }

    deinit {
        if !closed { try? handle.close() }
    }

    /// The NumPy 1.0 header: magic, version, header length, then the dict padded with spaces so that the
    /// data starts at a multiple of 64 bytes.
    static func header(shape: [Int]) -> Data {
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let unpadded = 10 + dictionary.utf8.count + 1
        dictionary += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dictionary.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(dictionary.utf8))
        return data
    }

    /// Appends float32 values (C order).
    func append(_ values: UnsafeBufferPointer<Float>) throws {
        guard written + values.count <= shape.reduce(1, *) else {
            throw WriteError(path: path, reason: "more values than the shape \(shape) holds")
        }
        let bytes = values.map { $0.bitPattern.littleEndian }
        try bytes.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        written += values.count
    }

    /// Checks that the array is complete, closes the file and renames it into place.
    func finish() throws {
        guard written == shape.reduce(1, *) else {
            throw WriteError(path: path, reason: "wrote \(written) of \(shape.reduce(1, *)) values")
        }
        try handle.close()
        closed = true
        try replacement.commit()
    }
}
