/// How one GGUF `general.architecture` shapes the decoder block: the data that the one block loop of
/// `LlamaModel` reads, so that no architecture has a forward pass of its own.
///
/// Per-model numbers (widths, rope bases, windows, soft-caps) come from the file's metadata into
/// `LlamaConfig`; this table holds what the metadata does not say because llama.cpp's converter and loader
/// fix it per architecture (tensor layout, rope pairing, activation, which layers slide by default).
public struct DecoderArchitecture: Equatable, Sendable {
    /// The gate activation of the gated feed-forward layer, `act(W_gate h) ⊙ W_up h`.
    public enum Activation: String, Equatable, Sendable {
        /// `g · σ(g)` (SwiGLU).
        case silu
        /// `½ g (1 + tanh(√(2/π) (g + 0.044715 g³)))` (GeGLU, PyTorch's `gelu(approximate="tanh")`).
        case geluTanh
    }

    /// Which two values of a query/key head RoPE rotates together, in the row order of the GGUF file.
    public enum RotaryPairing: String, Equatable, Sendable {
        /// `(2i, 2i + 1)`: the converter permuted the rows of q and k (llama files); llama.cpp's "normal" RoPE.
        case adjacent
        /// `(i, i + D/2)`: rows kept in Hugging Face order (`rotate_half`); llama.cpp's "NeoX" RoPE.
        case halves
    }

    /// Which layers use the sliding window (`<arch>.attention.sliding_window`) when the file has no
    /// `<arch>.attention.sliding_window_pattern`.
    public enum SlidingLayers: Equatable, Sendable {
        /// Every layer (Mistral-style files, Phi-3).
        case all
        /// Every layer except each `period`-th (layer l slides when `(l + 1) % period != 0`): Gemma 2 (2), Gemma 3 (6).
        case allButEvery(period: Int)
    }

    /// Whether the file must or may carry query/key/value biases.
    public enum BiasPresence: String, Equatable, Sendable {
        case required, optional
    }

    /// `general.architecture`.
    public let name: String
    public let rotaryPairing: RotaryPairing
    public let activation: Activation
    /// Hidden state 0 is the token embedding times √d (Gemma); it is also what block 0 reads.
    public let scalesEmbedding: Bool
    /// An RMSNorm on each sub-layer's output before it joins the residual stream (`post_attention_norm`,
    /// `post_ffw_norm`: Gemma 2 and 3).
    public let normsSublayerOutputs: Bool
    /// A per-head RMSNorm on queries and keys before RoPE (`attn_q_norm`, `attn_k_norm`: Qwen3, Gemma 3).
    public let normsQueriesAndKeys: Bool
    /// Query/key/value biases (`attn_q.bias`, ...): required for Qwen2, used when present elsewhere.
    public let attentionBiases: BiasPresence
    /// One `attn_qkv` matrix and one `ffn_up` holding `[gate | up]` instead of separate tensors (Phi-3).
    public let fusedProjections: Bool
    public let slidingLayers: SlidingLayers
    /// Block counts at which the attention scale is `1/√(d / heads)` rather than `1/√headDimension` when the
    /// file has no `<arch>.attention.scale`: Gemma's 27B models, whose `query_pre_attn_scalar` is
    /// `d / heads` (llama.cpp decides by the same block counts).
    public let hiddenPerHeadQueryScaleAtBlockCounts: Set<Int>

    /// The architectures this runtime runs, by `general.architecture`.
    public static let supported: [DecoderArchitecture] = [
        DecoderArchitecture(
            name: "llama", rotaryPairing: .adjacent, activation: .silu, scalesEmbedding: false,
            normsSublayerOutputs: false, normsQueriesAndKeys: false, attentionBiases: .optional,
            fusedProjections: false, slidingLayers: .all, hiddenPerHeadQueryScaleAtBlockCounts: []),
        DecoderArchitecture(
            name: "qwen2", rotaryPairing: .halves, activation: .silu, scalesEmbedding: false,
            normsSublayerOutputs: false, normsQueriesAndKeys: false, attentionBiases: .required,
            fusedProjections: false, slidingLayers: .all, hiddenPerHeadQueryScaleAtBlockCounts: []),
        DecoderArchitecture(
            name: "qwen3", rotaryPairing: .halves, activation: .silu, scalesEmbedding: false,
            normsSublayerOutputs: false, normsQueriesAndKeys: true, attentionBiases: .optional,
            fusedProjections: false, slidingLayers: .all, hiddenPerHeadQueryScaleAtBlockCounts: []),
        DecoderArchitecture(
            name: "gemma2", rotaryPairing: .halves, activation: .geluTanh, scalesEmbedding: true,
            normsSublayerOutputs: true, normsQueriesAndKeys: false, attentionBiases: .optional,
            fusedProjections: false, slidingLayers: .allButEvery(period: 2),
            hiddenPerHeadQueryScaleAtBlockCounts: [46]),
        DecoderArchitecture(
            name: "gemma3", rotaryPairing: .halves, activation: .geluTanh, scalesEmbedding: true,
            normsSublayerOutputs: true, normsQueriesAndKeys: true, attentionBiases: .optional,
            fusedProjections: false, slidingLayers: .allButEvery(period: 6),
            hiddenPerHeadQueryScaleAtBlockCounts: [62]),
        DecoderArchitecture(
            name: "phi3", rotaryPairing: .halves, activation: .silu, scalesEmbedding: false,
            normsSublayerOutputs: false, normsQueriesAndKeys: false, attentionBiases: .optional,
            fusedProjections: true, slidingLayers: .all, hiddenPerHeadQueryScaleAtBlockCounts: [])
    ]

    /// The names of `supported`, in order.
    public static var supportedNames: [String] { supported.map(\.name) }

    /// The supported architecture called `name`, or nil.
    public static func named(_ name: String) -> DecoderArchitecture? {
        supported.first { $0.name == name }
    }

    /// Whether block `layer` slides by this architecture's default pattern.
    func slidesByDefault(layer: Int) -> Bool {
        switch slidingLayers {
        case .all: return true
        case .allButEvery(let period): return (layer + 1) % period != 0
        }
    }
}

extension DecoderArchitecture {
    /// Architectures this runtime does not run, grouped by what sets them apart, so a refusal can say what the
    /// file is (GGUF `general.architecture` names as llama.cpp writes them).
    static let unsupportedKinds: [(kind: String, names: Set<String>)] = [
        (
            "a mixture-of-experts model",
            [
                "qwen2moe", "qwen3moe", "deepseek", "deepseek2", "dbrx", "grok", "olmoe",
                "llama4", "granitemoe", "gpt-oss", "arctic", "phimoe", "glm4moe",
                "ernie4_5-moe", "hunyuan-moe", "bailingmoe", "bailingmoe2", "dots1"
            ]
        ),
        (
            "a recurrent or state-space model",
            [
                "mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "jamba",
                "falcon-h1", "lfm2", "qwen3next", "plamo2", "granitehybrid",
                "nemotron_h"
            ]
        ),
        ("a vision or multimodal model", ["clip", "mllama", "qwen2vl", "qwen3vl", "gemma3n", "chameleon"]),
        (
            "an encoder or embedding model",
            [
                "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "modern-bert",
                "t5", "t5encoder", "gemma-embedding"
            ]
        )
    ]

    /// The supported description of `file`'s architecture, or a `GGUFError(.unsupportedArchitecture)` that
    /// names the architecture, what kind of model it is when known, and the supported ones. A supported
    /// architecture with experts (`<arch>.expert_count` > 0, e.g. Mixtral in a `llama` file) is refused too.
    public static func require(_ file: GGUFFile) throws -> DecoderArchitecture {
        let list = supportedNames.joined(separator: ", ")
        guard let name = file.architecture, let design = named(name) else {
            let kind = file.architecture.flatMap { name in unsupportedKinds.first { $0.names.contains(name) } }
            guard let kind, let name = file.architecture else {
                return try named(file.requireArchitecture(supportedNames))!
            }
            throw GGUFError(
                .unsupportedArchitecture, file: file.path,
                "architecture '\(name)' (\(kind.kind)) is not supported (supported: \(list))")
        }
        if let experts = file.metadata["\(name).expert_count"]?.int, experts > 0 {
            throw GGUFError(
                .unsupportedArchitecture, file: file.path,
                "architecture '\(name)' with \(experts) experts (\(name).expert_count) is a mixture-of-experts model, which is not supported (supported: dense \(list))"
            )
        }
        return design
    }
}
