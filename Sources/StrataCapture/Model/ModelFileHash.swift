import Foundation
import StrataModel

/// The SHA-256 of a model file, computed once and cached in a sidecar file `<model>.sha256`
/// (`<hex> <size> <mtime>`), reused while the model's size and modification time are unchanged.
/// When the sidecar cannot be written (read-only model directory) the hash is simply recomputed.
public enum ModelFileHash {
    /// Lower-case hex SHA-256 of the file at `path`, from the sidecar when it is current.
    public static func sha256(of path: String) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let stamp = "\(size) \(String(format: "%.6f", mtime))"
        let sidecar = path + ".sha256"
        if let cached = try? String(contentsOfFile: sidecar, encoding: .utf8) {
            let parts = cached.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].count == 64, String(parts[1]) == stamp,
                parts[0].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            {
                return String(parts[0])
            }
        }
        let digest = try compute(path)
        try? (digest + " " + stamp + "\n").write(toFile: sidecar, atomically: true, encoding: .utf8)
        return digest
    }

    /// Hashes the whole file.
    static func compute(_ path: String) throws -> String {
        do { return try SHA256Digest.hexDigest(ofFileAt: path) } catch let error as SHA256Digest.FileError {
            throw CaptureError.model(path: path, why: "cannot hash the model file: \(error.why)")
        }
    }
}
