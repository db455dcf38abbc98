import Foundation
import Testing

/// What some tests need from the machine beyond the package: python3 with given modules, the real SmolLM2
/// model. A test that needs one says so with a trait (`.needsPython(…)`, `.needsRealModel`), so that where
/// the need is unmet Swift Testing reports it as skipped, with the reason, rather than letting it pass.
///
/// Under `CI=true` (where `tools/test` has installed everything) nothing is skipped: the traits enable every
/// test, and a missing module or model fails the test that needs it.
public enum Requirements {
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether `python3` can import every one of `modules` (asked once per set of modules).
    public static func pythonHas(_ modules: [String]) -> Bool {
        let key = modules.sorted().joined(separator: ",")
        return pythonAnswers.withLock { answers in
            if let known = answers[key] { return known }
            let answer = runsSuccessfully(["python3", "-c", "import " + modules.joined(separator: ", ")])
            answers[key] = answer
            return answer
        }
    }

    /// The real SmolLM2-135M-Instruct GGUF in the model cache (`strata fetch-model smollm2` puts it there), or nil.
    public static var realModelPath: String? {
        let home =
            ProcessInfo.processInfo.environment["STRATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSString(string: "~/.cache/strata").expandingTildeInPath
        let path = home + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Open MPI's launcher on the PATH (`tools/setup` installs openmpi-bin), or nil.
    public static var mpirunPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static let pythonAnswers = Locked<[String: Bool]>([:])

    private static func runsSuccessfully(_ command: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test where `python3` can import every one of `modules` (always under CI=true); skips it,
    /// saying which modules are missing, elsewhere.
    public static func needsPython(_ modules: String...) -> Self {
        .enabled(
            if: Requirements.isCI || Requirements.pythonHas(modules),
            Comment(rawValue: "needs python3 with \(modules.joined(separator: ", ")) (tools/setup --python)"))
    }

    /// Runs the test where `mpirun` is on the PATH (always under CI=true); skips it, saying how to install
    /// Open MPI, elsewhere.
    public static var needsMPI: Self {
        .enabled(
            if: Requirements.isCI || Requirements.mpirunPath != nil,
            "needs Open MPI's mpirun (tools/setup installs openmpi-bin and libopenmpi-dev)")
    }

    /// Runs the test where the real SmolLM2 model is in the model cache (always under CI=true); skips it,
    /// saying how to fetch the model, elsewhere.
    public static var needsRealModel: Self {
        .enabled(
            if: Requirements.isCI || Requirements.realModelPath != nil,
            "needs the real SmolLM2 model in the model cache (strata fetch-model smollm2)")
    }
}
